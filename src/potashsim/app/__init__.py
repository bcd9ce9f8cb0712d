"""``potashsim serve``: a local Dash web app where a student or an analyst switches a scenario's
measures on and off, moves a few levers and sees what the change is worth against a base.

The app holds no model logic. It writes the user's choices as an ordinary scenario file
(:mod:`.scenario_file`), loads it with the CLI's loader, runs the comparison of
:mod:`potashsim.analysis.experiment`, saves it as the CLI does and draws it with the report's
own sections and chart functions (:mod:`.compute`); :mod:`.page` and :mod:`.server` are the
only modules that import Dash. Nothing is imported here, so ``potashsim --help`` stays light.
"""
