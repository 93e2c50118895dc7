"""Who may change the server from a page: retraining and the active model (Training), reviewing corrections
(Corrections). RETRAINING switches it on or off for everyone and RETRAIN_PASSWORD (or Streamlit's secret
``retrain_password``) asks for a password, once per browser session (mnist_app.config.RetrainAccess).

The controls that change the server are drawn only for visitors ``access_ui`` lets in, so a click on them
can only come from such a visitor.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from mnist_app.config import RetrainAccess

SECRET_KEY = "retrain_password"  # the key of .streamlit/secrets.toml that may hold the password
UNLOCKED_KEY = "training_unlocked"  # set in a browser session once its visitor gave the password


def access_ui(locked: str) -> bool:
    """Whether this visitor may change the server; otherwise says why, or asks for the password.

    ``locked`` says what the password opens on this page, after "Without it you can ...".
    """
    try:
        access = retrain_access()
    except ValueError as error:  # a setting the operator got wrong: fail closed and say which
        st.error(f"Retraining is switched off: {error}.", icon=":material/lock:")
        return False
    if not access.enabled:
        st.info("Retraining is switched off on this server.", icon=":material/lock:")
        return False
    if access.password is None or st.session_state.get(UNLOCKED_KEY):
        return True
    return _unlock_ui(access, locked)


def retrain_access() -> RetrainAccess:
    """The server's settings (RETRAINING, RETRAIN_PASSWORD), with the password from Streamlit's secrets
    (key retrain_password) when the environment sets none."""
    access = RetrainAccess.from_env()
    if access.password is None and (secret := _secret_password()):
        access = dataclasses.replace(access, password=secret)
    return access


def _secret_password() -> str | None:
    # Without a secrets file, st.secrets raises on any read (Streamlit 1.67 draws nothing on the page then).
    # It raises the same error, with another id, for a file it cannot parse: that one may hold the password,
    # so it must not leave retraining open.
    try:
        value = st.secrets.get(SECRET_KEY)
    except FileNotFoundError as error:  # streamlit.errors.StreamlitSecretNotFoundError
        if getattr(error, "error_id", None) == "no-secrets-found":
            return None
        raise ValueError(f"the secrets file could not be read ({error})") from None
    return str(value) if value not in (None, "") else None


def _unlock_ui(access: RetrainAccess, locked: str) -> bool:
    """A password form; True once the right password is given, for the rest of this browser session."""
    slot = st.empty()
    with slot.form("training_unlock_form", clear_on_submit=True):  # the password is not kept in the field
        st.markdown(f"**This needs the operator's password.** Without it you can {locked}.")
        attempt = st.text_input("Password", type="password", key="training_password")
        submitted = st.form_submit_button("Unlock", icon=":material/lock_open:", key="training_unlock")
    if not submitted:
        return False
    if not attempt:
        st.warning("Enter the password first.", icon=":material/lock:")
        return False
    if not access.accepts(attempt):
        st.error("Wrong password: this stays locked.", icon=":material/lock:")
        return False
    st.session_state[UNLOCKED_KEY] = True
    slot.empty()
    return True
