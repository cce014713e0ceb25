"""A tool for automatic function calling (no postponed annotations: google-genai 1.0 cannot read them)."""


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"
