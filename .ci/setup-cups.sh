#!/bin/sh
# Set up a real CUPS scheduler with a cups-pdf virtual printer for the printing tests.
#
# Idempotent: safe to run any number of times. Needs root (apt, cupsd, lpadmin).
#   - installs cups, cups-client, printer-driver-cups-pdf, poppler-utils if missing
#     (without recommends: no cups-browsed creating queues of its own)
#   - points cups-pdf at a fixed output folder (KIOSK_CUPS_PDF_DIR, default /var/spool/cups-pdf/kiosk)
#   - starts cupsd directly when the scheduler is not running (no systemd on CI)
#   - creates the queue KioskPDF (KIOSK_CUPS_QUEUE) on the cups-pdf backend, enabled and accepting
# Prints the output folder on the last line as: KIOSK_CUPS_PDF_DIR=<folder>
set -eu
export PATH="$PATH:/usr/sbin:/sbin"  # cupsd, lpadmin, cupsenable live in sbin

QUEUE="${KIOSK_CUPS_QUEUE:-KioskPDF}"
OUT_DIR="${KIOSK_CUPS_PDF_DIR:-/var/spool/cups-pdf/kiosk}"
CONF=/etc/cups/cups-pdf.conf
PPD=/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd

log() { echo "setup-cups: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root"; exit 1
fi

# 1. Packages
missing=""
command -v cupsd >/dev/null 2>&1 || missing="$missing cups"
command -v lp >/dev/null 2>&1 || missing="$missing cups-client"
command -v cupsdisable >/dev/null 2>&1 || missing="$missing cups-client"
[ -x /usr/lib/cups/backend/cups-pdf ] || missing="$missing printer-driver-cups-pdf"
command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
if [ -n "$missing" ]; then
    log "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
fi

# 2. cups-pdf output folder: one fixed place for every user (root jobs included), with the job
#    id in the file name so a test can find its own file.
mkdir -p "$OUT_DIR"
chmod 1777 "$OUT_DIR"
set_conf() {  # set_conf Key Value  -> replaces "Key ..." or "#Key ..." or appends
    if grep -Eq "^#?$1[[:space:]]" "$CONF"; then
        sed -i -E "s|^#?$1[[:space:]].*|$1 $2|" "$CONF"
    else
        echo "$1 $2" >> "$CONF"
    fi
}
before="$(md5sum "$CONF" | cut -d' ' -f1)"
set_conf Out "$OUT_DIR"
set_conf AnonDirName "$OUT_DIR"
set_conf Label 2
set_conf TitlePref 1
set_conf UserUMask 0022
set_conf AnonUMask 0022
after="$(md5sum "$CONF" | cut -d' ' -f1)"

# 3. Scheduler
if lpstat -r 2>/dev/null | grep -q "is running"; then
    :
else
    log "starting cupsd"
    mkdir -p /run/cups
    cupsd  # daemonises itself
    i=0
    until lpstat -r 2>/dev/null | grep -q "is running"; do
        i=$((i + 1))
        if [ "$i" -gt 50 ]; then log "cupsd did not start"; exit 1; fi
        sleep 0.2
    done
fi
# cups-pdf reads its config per job, so a changed config needs no restart.
[ "$before" = "$after" ] || log "cups-pdf.conf updated"

# 4. Queue
if ! lpstat -p "$QUEUE" >/dev/null 2>&1; then
    log "creating queue $QUEUE"
    lpadmin -p "$QUEUE" -v cups-pdf:/ -P "$PPD" -D "Kiosco CAU PDF printer" -E
fi
cupsenable "$QUEUE"
cupsaccept "$QUEUE"

lpstat -p "$QUEUE" >&2
echo "KIOSK_CUPS_PDF_DIR=$OUT_DIR"
