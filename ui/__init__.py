"""What the pages share: the model and data loaded once per server process, and widgets (``_ui`` helpers).

The pages live in app_pages/, and this package outside it, for one reason: Streamlit treats a folder named
``pages`` beside app.py as its legacy page folder. Until a session's first run reaches ``st.navigation``,
every file there is listed in the sidebar by file name, and a deep link such as /upload on a fresh server
ran the page alone, with that list, for the rest of the session; a helper module there had a URL of its own.
"""
