"""The demo that `make run` starts: `python -m kudos.demo run` (see kudos.demo.run).

`cast` names its people and wikis, `data` fills the database (`flask seed-demo`), `wikis` sets up the
local MediaWikis the delivery job posts to, and `directory` answers for the wikis when MediaWiki cannot
be installed.
"""

from kudos.demo.data import is_empty, seed

__all__ = ["is_empty", "seed"]
