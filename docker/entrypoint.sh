#!/bin/sh
# ClearMedia container entrypoint (POSIX sh).
#
# Started as root (the default), it follows the linuxserver.io convention NAS owners know:
#   PUID / PGID  user and group ids the program runs as (default 1000 / 1000), so the links it
#                creates belong to you, not to root;
#   UMASK        file mode mask for new folders in the library (default 022; 002 lets the group write).
# It gives the `clearmedia` user and group those ids, makes DATA_DIR (/config) theirs - DATA_DIR only,
# never the media - applies the umask and replaces itself with `clearmedia "$@"` run by that user, so
# SIGTERM from `docker stop` reaches ClearMedia directly.
# Started as another user (`user:` in compose, `docker run --user`), it only applies UMASK and execs.
#
# For tests only: CLEARMEDIA_PASSWD_FILE / CLEARMEDIA_GROUP_FILE point at other passwd/group files.
set -eu

PUID="${PUID:-1000}"
PGID="${PGID:-1000}"
UMASK="${UMASK:-022}"
DATA_DIR="${DATA_DIR:-/config}"
APP_USER=clearmedia
PASSWD_FILE="${CLEARMEDIA_PASSWD_FILE:-/etc/passwd}"
GROUP_FILE="${CLEARMEDIA_GROUP_FILE:-/etc/group}"

fail() {
    echo "clearmedia entrypoint: $*" >&2
    exit 2
}

check_settings() {
    case "$PUID" in '' | *[!0-9]*) fail "PUID must be a numeric user id (got \"$PUID\")" ;; esac
    case "$PGID" in '' | *[!0-9]*) fail "PGID must be a numeric group id (got \"$PGID\")" ;; esac
    case "$UMASK" in
        [0-7][0-7][0-7] | [0-7][0-7][0-7][0-7]) ;;
        *) fail "UMASK must be three or four octal digits such as 022 or 002 (got \"$UMASK\")" ;;
    esac
}

# set_id FILE NAME ID FIELD...: give entry NAME of a passwd/group FILE the numeric ID in each FIELD.
# Rewritten in place (same inode and mode) with awk, which needs neither usermod nor a shadow file.
set_id() {
    file=$1 name=$2 id=$3
    shift 3
    awk -F: -v OFS=: -v name="$name" -v id="$id" -v fields="$*" '
        $1 == name { n = split(fields, f, " "); for (i = 1; i <= n; i++) $f[i] = id; found = 1 }
        { print }
        END { if (!found) exit 3 }
    ' "$file" >"$file.clearmedia-new" || {
        rm -f "$file.clearmedia-new"
        fail "no entry \"$name\" in $file"
    }
    cat "$file.clearmedia-new" >"$file"
    rm -f "$file.clearmedia-new"
}

# is_within A B: true when path A is B or lies below it.
is_within() {
    case "$1/" in "${2%/}"/*) return 0 ;; *) return 1 ;; esac
}

# DATA_DIR must never be (or hold) the media: a recursive chown there would rewrite the library.
data_dir_overlaps_media() {
    old_ifs=$IFS
    IFS=:
    # shellcheck disable=SC2086  # split SOURCE_DIR on ':' on purpose
    set -- ${SOURCE_DIR:-} ${TARGET_DIR:-}
    IFS=$old_ifs
    for media in "$@"; do
        [ -n "$media" ] || continue
        if is_within "$media" "$DATA_DIR" || is_within "$DATA_DIR" "$media"; then
            echo "$media"
            return 0
        fi
    done
    return 1
}

prepare() {
    set_id "$GROUP_FILE" "$APP_USER" "$PGID" 3
    set_id "$PASSWD_FILE" "$APP_USER" "$PUID" 3
    set_id "$PASSWD_FILE" "$APP_USER" "$PGID" 4
    mkdir -p "$DATA_DIR"
    if media=$(data_dir_overlaps_media); then
        echo "clearmedia entrypoint: DATA_DIR $DATA_DIR overlaps the media folder $media;" \
            "leaving its ownership alone (give DATA_DIR its own volume, e.g. /config)" >&2
        return 0
    fi
    # Only what is not already ours: cheap on every start, and files left by a root run are fixed.
    find "$DATA_DIR" -xdev \( ! -user "$PUID" -o ! -group "$PGID" \) -exec chown -h "$PUID:$PGID" {} +
}

check_settings
umask "$UMASK"
if [ "$(id -u)" != 0 ]; then
    exec clearmedia "$@"
fi
# The health check runs every 30 s: it only drops privileges, it changes nothing.
if [ "${1:-}" != health ]; then
    prepare
fi
exec setpriv --reuid "$PUID" --regid "$PGID" --clear-groups clearmedia "$@"
