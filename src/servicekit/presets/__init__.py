"""Presets: the handbook's defaults as policy data, each rule citing its rules-catalog id."""
