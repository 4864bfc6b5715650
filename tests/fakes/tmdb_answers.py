"""The bodies the fake TMDB answers with, shaped as TMDB's v3 API shapes them (details, search
results, seasons, translations, alternative titles) for the works in `tmdb_catalogue`."""

from __future__ import annotations

from tests.fakes.tmdb_catalogue import Movie, Season, Show, episode_dates

CONFIGURATION = {
    "images": {
        "base_url": "http://image.tmdb.org/t/p/",
        "secure_base_url": "https://image.tmdb.org/t/p/",
    },
    "change_keys": ["title", "name", "overview"],
}


def _localized(entry: Movie | Show, language: str | None) -> str:
    """The title TMDB shows in `language`: its translation there, else the ORIGINAL title (never a
    third language: a Korean film searched in zh-CN without a Chinese title shows the Korean one)."""
    lang = (language or "en-US").lower()
    if lang.startswith(entry.original_language):
        return entry.original
    if lang.startswith("zh"):
        return entry.zh or entry.original
    if lang.startswith("en"):
        return entry.en or entry.original
    return entry.original


_GENRE_NAMES = {
    16: "Animation",
    18: "Drama",
    99: "Documentary",
    10762: "Kids",
    10764: "Reality",
    10767: "Talk",
}


def _genres(ids) -> list[dict]:
    """Details list genres as objects; search results as `genre_ids`."""
    return [{"id": i, "name": _GENRE_NAMES.get(i, str(i))} for i in ids]


def movie_json(m: Movie, language: str | None, full: bool = False) -> dict:
    data = {
        "adult": False,
        "backdrop_path": f"/backdrop{m.id}.jpg",
        "genre_ids": list(m.genres),
        "id": m.id,
        "original_language": m.original_language,
        "original_title": m.original,
        "overview": m.overview or f"Overview of {_localized(m, language)}.",
        "popularity": m.popularity,
        "poster_path": f"/poster{m.id}.jpg",
        "release_date": m.release_date,
        "title": _localized(m, language),
        "video": False,
        "vote_average": 7.5,
        "vote_count": 1000,
    }
    if full:
        data.pop("genre_ids")
        data.update(
            genres=_genres(m.genres),
            production_countries=[{"iso_3166_1": c, "name": c} for c in m.production_countries],
            origin_country=m.production_countries,
            runtime=120,
            status="Released",
            imdb_id=f"tt{m.id:07d}",
        )
    return data


def tv_json(s: Show, language: str | None, full: bool = False) -> dict:
    data = {
        "adult": False,
        "backdrop_path": f"/backdrop{s.id}.jpg",
        "genre_ids": list(s.genres),
        "id": s.id,
        "origin_country": s.origin_country,
        "original_language": s.original_language,
        "original_name": s.original,
        "overview": s.overview or f"Overview of {_localized(s, language)}.",
        "popularity": s.popularity,
        "poster_path": f"/poster{s.id}.jpg",
        "first_air_date": s.first_air_date,
        "name": _localized(s, language),
        "vote_average": 8.0,
        "vote_count": 1000,
    }
    if full:
        data.pop("genre_ids")
        regular = [x for x in s.seasons if x.season_number > 0]
        data.update(
            genres=_genres(s.genres),
            production_countries=[{"iso_3166_1": c, "name": c} for c in s.origin_country],
            number_of_seasons=len(regular),
            number_of_episodes=sum(x.episode_count for x in regular),
            status="Returning Series",
            seasons=[
                {
                    "air_date": x.air_date,
                    "episode_count": x.episode_count,
                    "id": s.id * 100 + x.season_number,
                    "name": "Specials" if x.season_number == 0 else f"Season {x.season_number}",
                    "overview": "",
                    "poster_path": None,
                    "season_number": x.season_number,
                }
                for x in s.seasons
            ],
        )
    return data


def _translations(entry: Movie | Show) -> dict:
    """As TMDB lists them: the original language's entry has an EMPTY title (the original title is
    the title), several Chinese entries share a language, and any of them may be empty."""
    key = "title" if isinstance(entry, Movie) else "name"
    original = entry.original_language

    def own(lang: str, title: str) -> str:
        return "" if lang == original else title

    rows = [
        ("US", "en", "English", own("en", entry.en)),
        ("CN", "zh", "Mandarin", own("zh", entry.zh)),
        ("TW", "zh", "Mandarin", ""),
        ("HK", "zh", "Cantonese", ""),
    ]
    if original not in ("en", "zh"):
        rows.append((_LANGUAGE_REGION.get(original, "XX"), original, original, ""))
    return {
        "translations": [
            {
                "iso_3166_1": c,
                "iso_639_1": lang,
                "name": n,
                "english_name": n,
                "data": {key: t, "overview": ""},
            }
            for c, lang, n, t in rows
        ]
    }


_LANGUAGE_REGION = {"ja": "JP", "ko": "KR", "fr": "FR"}


def _alternative_titles(entry: Movie | Show) -> dict:
    rows = [{"iso_3166_1": "US", "title": t, "type": ""} for t in entry.alt]
    if entry.original_language == "zh" and entry.zh and entry.zh != entry.original:
        rows.append({"iso_3166_1": "CN", "title": entry.zh, "type": "short"})  # "甄嬛传" of "后宫·甄嬛传"
    return {"titles": rows} if isinstance(entry, Movie) else {"results": rows}


def details_json(entry: Movie | Show, language: str | None, append: str) -> dict:
    """`/movie/N` or `/tv/N` with `append_to_response` (translations, alternative_titles)."""
    data = (
        movie_json(entry, language, full=True)
        if isinstance(entry, Movie)
        else tv_json(entry, language, full=True)
    )
    extras = {x.strip() for x in append.split(",")}
    if "translations" in extras:
        data["translations"] = _translations(entry)
    if "alternative_titles" in extras:
        data["alternative_titles"] = _alternative_titles(entry)
    return data


def season_json(show: Show, season: Season) -> dict:
    """`/tv/N/season/S`: the season's episodes with their air dates and names."""
    dates = episode_dates(season)
    return {
        "_id": f"season{show.id}-{season.season_number}",
        "id": show.id * 100 + season.season_number,
        "air_date": season.air_date,
        "name": "Specials" if season.season_number == 0 else f"Season {season.season_number}",
        "season_number": season.season_number,
        "episodes": [
            {
                "id": show.id * 10000 + season.season_number * 1000 + n,
                "air_date": dates[n - 1],
                "episode_number": n,
                "season_number": season.season_number,
                "name": season.names.get(n, f"Episode {n}"),
                "overview": "",
                "runtime": 45,
                "show_id": show.id,
            }
            for n in range(1, season.episode_count + 1)
        ],
    }
