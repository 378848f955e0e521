"""readfetch: reads granted files and fetches a granted host (a warden effect handler)."""
