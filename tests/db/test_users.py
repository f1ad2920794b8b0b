"""Users, roles and authentication (argon2-cffi), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from assistant.db import (
    ROLES,
    InvalidPasswordError,
    InvalidRoleError,
    InvalidUsernameError,
    LastAdminError,
    Repository,
    UnknownUserError,
    User,
    UserExistsError,
)
from assistant.db.models import UserRow

PASSWORD = "korrekt häst batteri"


def stored_hash(database, username: str) -> str:
    with database.read() as session:
        return session.scalars(select(UserRow.password_hash).where(UserRow.username_key == username.casefold())).one()


def test_add_and_list_users(repo):
    assert ROLES == ("reader", "editor", "admin")
    anna = repo.add_user("Anna", PASSWORD, "admin")
    assert isinstance(anna, User) and (anna.username, anna.role, anna.disabled) == ("Anna", "admin", False)
    assert anna.created_at.tzinfo is not None
    repo.add_user("bo", PASSWORD, "editor")
    repo.add_user("Cecilia", PASSWORD)
    assert [(user.username, user.role) for user in repo.list_users()] == \
        [("Anna", "admin"), ("bo", "editor"), ("Cecilia", "reader")]
    assert not any("hash" in field.name for field in dataclasses.fields(User))
    assert repo.get_user("ANNA") == anna and repo.get_user("david") is None


def test_password_is_hashed_with_argon2(repo, database):
    repo.add_user("anna", PASSWORD)
    value = stored_hash(database, "anna")
    assert value.startswith("$argon2id$") and PASSWORD not in value


def test_usernames_are_unique_regardless_of_case(repo):
    repo.add_user("Anna", PASSWORD)
    for name in ("anna", "ANNA", " Anna "):
        with pytest.raises(UserExistsError, match="Det finns redan en användare"):
            repo.add_user(name, PASSWORD)
    assert len(repo.list_users()) == 1


def test_authenticate(repo):
    repo.add_user("Anna", PASSWORD, "editor")
    user = repo.authenticate("anna", PASSWORD)
    assert user is not None and user.username == "Anna" and user.can_edit and not user.is_admin
    assert repo.authenticate("Anna", "fel lösenord") is None
    assert repo.authenticate("okänd", PASSWORD) is None
    assert repo.authenticate("Anna", "") is None
    assert repo.authenticate("Anna", None) is None


def test_disabled_user_cannot_log_in(repo):
    repo.add_user("admin", PASSWORD, "admin")
    repo.add_user("anna", PASSWORD, "editor")
    assert repo.set_disabled("anna").disabled is True
    assert repo.authenticate("anna", PASSWORD) is None
    repo.set_disabled("anna", False)
    assert repo.authenticate("anna", PASSWORD) is not None


def test_set_role_and_remove_user(repo):
    repo.add_user("admin", PASSWORD, "admin")
    repo.add_user("anna", PASSWORD)
    assert repo.set_role("ANNA", "Editor").role == "editor"
    assert repo.authenticate("anna", PASSWORD).role == "editor"
    with pytest.raises(InvalidRoleError, match="Okänd roll"):
        repo.set_role("anna", "superuser")
    repo.remove_user("Anna")
    assert [user.username for user in repo.list_users()] == ["admin"]
    assert repo.authenticate("anna", PASSWORD) is None
    with pytest.raises(UnknownUserError, match="Det finns ingen användare"):
        repo.remove_user("anna")
    with pytest.raises(UnknownUserError):
        repo.set_role("anna", "reader")


def test_set_password(repo):
    repo.add_user("anna", PASSWORD)
    repo.set_password("anna", "ett nytt lösenord")
    assert repo.authenticate("anna", PASSWORD) is None
    assert repo.authenticate("anna", "ett nytt lösenord") is not None


def test_last_active_admin_is_protected(repo):
    repo.add_user("admin", PASSWORD, "admin")
    for action in (lambda: repo.remove_user("admin"), lambda: repo.set_role("admin", "editor"),
                   lambda: repo.set_disabled("admin")):
        with pytest.raises(LastAdminError, match="minst en aktiv administratör"):
            action()
    repo.add_user("admin2", PASSWORD, "admin")
    repo.set_role("admin", "editor")
    with pytest.raises(LastAdminError):
        repo.remove_user("admin2")
    assert repo.get_user("admin2").is_admin


@pytest.mark.parametrize("username, password, role, error", [
    ("", PASSWORD, "reader", InvalidUsernameError),
    ("   ", PASSWORD, "reader", InvalidUsernameError),
    ("a" * 151, PASSWORD, "reader", InvalidUsernameError),
    ("anna\x00", PASSWORD, "reader", InvalidUsernameError),
    ("anna", "kort", "reader", InvalidPasswordError),
    ("anna", PASSWORD, "owner", InvalidRoleError),
])
def test_invalid_user_input_is_refused(repo, username, password, role, error):
    with pytest.raises(error) as caught:
        repo.add_user(username, password, role)
    assert isinstance(caught.value, ValueError)
    assert repo.list_users() == []


def test_outdated_hash_is_upgraded_on_login(database, fast_hasher):
    Repository(database, password_hasher=fast_hasher).add_user("anna", PASSWORD)
    old = stored_hash(database, "anna")
    assert extract_parameters(old).time_cost == 1

    stronger = PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1)
    repo = Repository(database, password_hasher=stronger)
    assert repo.authenticate("anna", "fel lösenord") is None
    assert stored_hash(database, "anna") == old  # no rehash on a failed login
    assert repo.authenticate("anna", PASSWORD) is not None
    new = stored_hash(database, "anna")
    assert new != old and extract_parameters(new).time_cost == 2 and extract_parameters(new).memory_cost == 16384
    assert repo.authenticate("anna", PASSWORD) is not None
    assert stored_hash(database, "anna") == new  # up to date now: left alone


def test_default_hasher_is_argon2_defaults(database):
    assert Repository(database).hasher.time_cost == PasswordHasher().time_cost
