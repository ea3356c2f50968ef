"""Kudos core: the rules shared by the web tool, the delivery job and the command line."""
