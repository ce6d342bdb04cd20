"""Turns the pipeline's codes and values into words in the person's language: the message
catalogues (gettext, through Babel), plural forms, local numbers and dates, and the wording of
a result. The chat application, the CLI and any other front end use it; the pipeline does not."""
