"""wordstats: words, lines and the most frequent words of a text (a warden compute handler)."""
