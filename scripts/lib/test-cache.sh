# Sourced by the install steps: where the test components (Synapse, mastodon-mock, the Bluesky PDS) are
# installed. Outside the checkout, so every clone on a machine shares one installation, as pip shares its
# cache; each component is keyed by its pinned version and reinstalled when the pin changes.
# `~` rather than $HOME: bash then finds the home directory as Python's Path.home() does, HOME set or not.
KUDOS_TEST_CACHE=${KUDOS_TEST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/kudos-test}  # unquoted, for the `~`
mkdir -p "$KUDOS_TEST_CACHE"
