"""Streamlit glue shared by the pages: computation stays in cnnlib, and these modules only wire it to
widgets. Each page imports the modules it uses (`from ui import browser, models`). From the bottom up,
each importing only those before it:

    shared     what the server keeps once for every session: training slots, the sessions' runs, the
               follow board, loaded data sets and models, one test at a time, the runs store's credentials
    browser    one browser session: its token and SessionRun, its language and words (t, tr), its link,
               the sidebar, its data set
    tables     small Markdown tables in the session's language
    uploads    data-set zips, run files and camera photos a student sends
    training   this session's run: its place in the line, Guess first, Continue training, an unsaved run
    models     the model choice, predictions, evaluations, attacks and Evaluate's clickable charts
    settings   the Train page's settings form, the network's layer table, the share link, the code view
"""
