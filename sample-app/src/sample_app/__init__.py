"""Reference apps and the offline demo."""
