"""--help that helps: defaults after each option (when there is one), examples as written."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str | None:
        # "(default: None)" and "(default: False)" say nothing: leave them out.
        if action.default is None or action.default is False or action.default == []:
            return action.help
        return super()._get_help_string(action)
