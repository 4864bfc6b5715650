"""The library side: names (presets, templates, sanitizing, confinement), hard links and subtitles."""
