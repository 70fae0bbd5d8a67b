import pytest

from udx_bot.config import ConfigError, Settings, normalize_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///udx.sqlite3", "sqlite+aiosqlite:///udx.sqlite3"),
        ("sqlite:////var/data/udx.sqlite3", "sqlite+aiosqlite:////var/data/udx.sqlite3"),
        (
            "postgresql://postgres@127.0.0.1:5432/test",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        ),
        ("postgres://u:p@db.example:5432/d", "postgresql+asyncpg://u:p@db.example:5432/d"),
    ],
)
def test_database_urls_are_accepted(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite+aiosqlite:///udx.sqlite3"
    assert settings.default_language == "en"
    assert settings.telegram_rate == 30.0


def test_the_worker_name_comes_from_udx_worker_name_else_dyno_else_the_host() -> None:
    assert Settings.from_env({"UDX_WORKER_NAME": "bot-1", "DYNO": "web.1"}).worker_name == "bot-1"
    assert Settings.from_env({"DYNO": "web.1"}).worker_name == "web.1"
    default = Settings.from_env({}).worker_name
    assert default and default == Settings.from_env({}).worker_name  # the same on a restart
    assert Settings().worker_name is None  # made in code (tests): no name, nothing taken over


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:/rel"}, "DATABASE_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"UDX_DEFAULT_LANGUAGE": "fr"}, "UDX_DEFAULT_LANGUAGE"),
        ({"UDX_DEFAULT_TIMEZONE": "Mars/Olympus"}, "UDX_DEFAULT_TIMEZONE"),
        ({"UDX_ADMINS": "telegram:1, bob"}, "UDX_ADMINS"),
        ({"UDX_TELEGRAM_RATE": "fast"}, "UDX_TELEGRAM_RATE"),
        ({"UDX_SLACK_RATE": "0"}, "UDX_SLACK_RATE"),
        ({"SLACK_APP_TOKEN": "xoxb-123"}, "SLACK_APP_TOKEN"),
        ({"TELEGRAM_WEBHOOK_URL": "https://bot.example/tg"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_WEBHOOK_SECRET": "has space"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
        ({"UDX_DIGEST_EMPTY": "maybe"}, "UDX_DIGEST_EMPTY"),
    ],
)
def test_a_bad_value_names_the_variable_in_one_line(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    message = str(error.value)
    assert variable in message
    assert "\n" not in message


def test_database_password_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"DATABASE_URL": "postgres:///"})
    assert "DATABASE_URL" in str(error.value)
