"""toolforge_i18n looks for this module by name (the web tool and its pytest plugin import it)."""

from kudos.i18n import translations_config

config = translations_config()
