"""ClearMedia: hard-link messy downloads into a Jellyfin/Plex/Emby library."""

__version__ = "0.1.0"
