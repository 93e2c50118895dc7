"""The widgets the pages share (helpers that draw end in ``_ui``), by job: the pages and their links
(navigation), what is loaded once per server process (resources), a visitor's session, the sidebar, the
browser's room (screen), pictures, charts, wording, who may change the server (access), and one module per
larger panel (canvas and drawing, uploads, corrections, inside, retrain, outcome, versions_list, model_card,
curves). The pages in pages/ stay thin: they lay these out and call the engine (mnist_app) once or twice.
"""
