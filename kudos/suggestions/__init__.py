"""Praise suggestions: who deserves thanks now, found for organizers before they have to look.

Like GrowthExperiments' "personalized praise" (a mentee with at least 8 edits in the last 7 days and fewer
than 500 in all, not blocked, not praised, not skipped lately), but for a campaign's participants and the
wiki's recent newcomers, with the evidence on the same page and a whole cohort thanked at once.

- `bar`: the campaign's settings (the bar and the snooze length) and the tool-wide options.
- `wiki`: the wiki reads, in batches of 50 users a request (`list=usercontribs|users` together), and the
  newcomers from `list=logevents&letype=newusers`.
- `refresh`: the delivery job's step between rounds: who meets the bar, stored, so that the page never
  waits on a wiki.
- `listing`: what the suggestions page and the report read.
- `decisions`: snooze, "not for this campaign" and its undo, and thanks given from a suggestion.
"""
