"""Identification: parse a messy relative path (LLM or guessit), then match it on TMDB."""
