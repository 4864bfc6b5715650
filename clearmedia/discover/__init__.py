"""Finding candidate files: the rules (video? partial? extra?), the walk, the watcher, and recording them in the store."""
