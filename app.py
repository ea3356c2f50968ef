"""WSGI entry point for Toolforge and gunicorn: `app`."""

from kudos.config import load_config_or_exit
from kudos.web import create_app

app = create_app(load_config_or_exit())
