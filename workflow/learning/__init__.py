"""Suggestions learned from this deployment's own decisions (issue 14).

- ``pipeline``: the model as pure functions (features, fit, predict, held-out metrics).
- ``service``: versions in the database (``SuggestionModel``), the retraining (a beat
  task, only when decisions changed and enough exist), and the suggestions a user is
  shown for a cable's undecided paragraphs, each recorded with the model's version.

It never decides: a suggestion is shown, and a person decides.
"""
