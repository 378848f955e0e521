#!/bin/sh
# shtool: an ordinary POSIX shell tool that knows nothing of warden. It reads the files and
# fetches the URLs its input lists with cat and curl, and reports what each one gave, the
# error message included. Under warden every open and connect it (or cat, or curl) makes is
# decided by the policy: a refusal reaches it as the usual "Permission denied" or "Could not
# resolve host", so the script needs no change to run confined.
#
# Input (on stdin): {"read": ["data/notes/hello.txt", ...], "fetch": ["http://host:port/path", ...]}
# Output (stdout): one "read PATH: ..." or "fetch URL: ..." line each; exit 1 if any failed.

input=$(cat | tr '\n' ' ')

# The strings of the JSON array named $1 (no commas or quotes inside the strings).
list() {
    printf '%s\n' "$input" |
        sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\[\([^]]*\)\].*/\1/p" |
        tr ',' '\n' | sed 's/^[[:space:]]*"//; s/"[[:space:]]*$//' | grep -v '^[[:space:]]*$'
}

status=0
while IFS= read -r path; do
    [ -n "$path" ] || continue
    if out=$(cat -- "$path" 2>&1); then
        printf 'read %s: %s\n' "$path" "$out"
    else
        printf 'read %s: refused: %s\n' "$path" "$out"
        status=1
    fi
done <<EOF
$(list read)
EOF

while IFS= read -r url; do
    [ -n "$url" ] || continue
    if out=$(curl -sS --max-time 5 -- "$url" 2>&1); then
        printf 'fetch %s: %s\n' "$url" "$out"
    else
        printf 'fetch %s: refused: %s\n' "$url" "$out"
        status=1
    fi
done <<EOF
$(list fetch)
EOF

exit "$status"
