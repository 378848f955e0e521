#!/usr/bin/env bash
# audit_openssl.sh: an independent verifier of the audit log, written only from
# docs/audit-format.md, with bash and the openssl command line (xxd or printf for hex to bytes,
# od for bytes to hex). For every record of a log warden wrote it recomputes:
#   BODY  = the line without its final ,"mac":"<64 hex>"}
#   MAC   = HMAC-SHA-256(k_seq, BODY)            openssl dgst -sha256 -mac HMAC -macopt hexkey:
#   chain = SHA-256(line without "\n")           openssl dgst -sha256; the next record's prev
#   k_{seq+1} = SHA-256("warden-audit-ratchet-v1" || k_seq)     openssl dgst -sha256 -binary
#   CHECKPOINT: count = seq-1, head = running chain hash, log_id = LOG_START's, and the Ed25519
#   signature over "warden-audit-checkpoint-v1\n<log_id>\n<count>\n<head>\n"
#                                                openssl pkeyutl -verify -rawin
# and checks an exported anchor the same way. Negative controls (a flipped byte, a wrong key,
# a forged signature) prove the checks can fail. This cross-checks warden's HMAC, SHA-256 and
# Ed25519 against OpenSSL's and shows the format document is enough to write a verifier.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/audit.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/audit.sh"

cd "$WD_TMP" || exit 2
NA=--no-append-only
ZERO64=0000000000000000000000000000000000000000000000000000000000000000

if ! command -v openssl >/dev/null || ! command -v od >/dev/null; then
    echo "note: openssl or od is missing: the independent verifier cannot run (skipped)"
    finish
fi
if ! openssl pkeyutl -help 2>&1 | grep -q -- '-rawin'; then
    echo "note: this openssl has no 'pkeyutl -rawin' (Ed25519 needs OpenSSL 3): skipped"
    finish
fi

# ---- byte helpers ----------------------------------------------------------------------------

hex2bin() { # HEX -> raw bytes on stdout
    if command -v xxd >/dev/null; then
        printf '%s' "$1" | xxd -r -p
    else
        printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"
    fi
}
bin2hex() { # stdin -> lowercase hex, one line
    od -An -tx1 -v | tr -d ' \n'
    echo
}
sha256_hex() { # STRING -> hex SHA-256 of its bytes
    printf '%s' "$1" | openssl dgst -sha256 -binary | bin2hex
}
hmac_hex() { # KEYHEX STRING -> hex HMAC-SHA-256
    printf '%s' "$2" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -binary | bin2hex
}
ratchet() { # KEYHEX -> hex SHA-256("warden-audit-ratchet-v1" || key bytes)
    { printf '%s' warden-audit-ratchet-v1 && hex2bin "$1"; } | openssl dgst -sha256 -binary | bin2hex
}
pub_pem() { # PUBHEX OUT.pem: SubjectPublicKeyInfo for Ed25519 (RFC 8410) around the raw key
    hex2bin "302a300506032b6570032100$1" >"$2.der"
    {
        echo "-----BEGIN PUBLIC KEY-----"
        openssl base64 -in "$2.der"
        echo "-----END PUBLIC KEY-----"
    } >"$2"
}
ed25519_verify() { # PEM SIGHEX LOG_ID COUNT HEAD -> exit 0 when the signature over the
    # checkpoint message "warden-audit-checkpoint-v1\n<log_id>\n<count>\n<head>\n" verifies
    printf 'warden-audit-checkpoint-v1\n%s\n%s\n%s\n' "$3" "$4" "$5" >"$WD_TMP/msg.bin"
    hex2bin "$2" >"$WD_TMP/sig.bin"
    openssl pkeyutl -verify -pubin -inkey "$1" -rawin -in "$WD_TMP/msg.bin" \
        -sigfile "$WD_TMP/sig.bin" >/dev/null 2>&1
}
keyfile_hex() { # FILE HEADER -> the 64 hex digits, or nothing when the file is not that format
    local text
    text=$(cat "$1"; printf x)
    text=${text%x}
    [[ $text =~ ^"$2"$'\n'([0-9a-f]{64})$'\n'$ ]] && printf '%s\n' "${BASH_REMATCH[1]}"
}

# sanity of the primitives against published test vectors, so a broken helper cannot pass
expect_eq "$(sha256_hex abc)" ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad \
    "openssl helper: SHA-256(\"abc\") (FIPS 180-2)"
expect_eq "$(hmac_hex 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 'Hi There')" \
    b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7 \
    "openssl helper: HMAC-SHA-256 (RFC 4231 case 1)"
# RFC 8032 section 7.1, TEST 2: one-byte message 0x72
pub_pem 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c "$WD_TMP/rfc.pem"
printf '\x72' >"$WD_TMP/rfc.msg"
hex2bin 92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00 >"$WD_TMP/rfc.sig"
openssl pkeyutl -verify -pubin -inkey "$WD_TMP/rfc.pem" -rawin -in "$WD_TMP/rfc.msg" \
    -sigfile "$WD_TMP/rfc.sig" >/dev/null 2>&1
wd_check $? "openssl helper: Ed25519 verify, raw key to PEM (RFC 8032 test 2)"
printf '\x73' >"$WD_TMP/rfc.msg"
openssl pkeyutl -verify -pubin -inkey "$WD_TMP/rfc.pem" -rawin -in "$WD_TMP/rfc.msg" \
    -sigfile "$WD_TMP/rfc.sig" >/dev/null 2>&1
wd_check $((!$?)) "openssl helper: Ed25519 verify rejects another message"

# ---- a log warden wrote ----------------------------------------------------------------------
# 1 LOG_START, 2-5 events (--stdin; details with nesting, escapes, non-ASCII and a key "mac"
# whose value contains ,"mac":" to trap a naive BODY split), 6 CHECKPOINT (close), 7 an event
# with raw UTF-8, a tab and a quote in its strings, 8 CHECKPOINT (close), 9 CHECKPOINT (the
# exported anchor).

K="$WD_TMP/keys"
L="$WD_TMP/log"
ANC="$WD_TMP/anchor.json"
audit_keygen "$K"
cat >"$WD_TMP/events.jsonl" <<'EOF'
{"type":"LOGIN","severity":"HIGH","component":"auth","details":{"user":"bob","ip":"10.0.0.1"}}
{"type":"FILE_READ","severity":"MEDIUM","component":"fs","details":{"path":"/etc/\"quoted\"\\back","nested":{"z":[1,2,{"y":null}],"a":true}}}
{"type":"NOTE","severity":"LOW","component":"ü-comp","details":{"text":"naïve café ☃ \ud83d\ude00","mac":"x\",\"mac\":\"0000"}}
{"type":"NET","severity":"CRITICAL","component":"net","correlation_id":"fixed-corr","details":{"k":1,"mac":"y"}}
EOF
expect_exit 0 -- "$WARDEN" audit append --log "$L" --keys "$K" $NA --stdin <"$WD_TMP/events.jsonl"
expect_stdout_lines 4
expect_exit 0 -- "$WARDEN" audit append --log "$L" --keys "$K" $NA --type RAW_BYTES --severity LOW \
    --component $'tab\there "q" ümlaut' --correlation-id 'c"1' --details '{"a":"\\","b":"\u0007"}'
expect_exit 0 -- "$WARDEN" audit checkpoint --log "$L" --keys "$K" $NA --export "$ANC"
expect_exit 0 -- "$WARDEN" audit verify --log "$L" --mac-key "$K/mac.key" --pubkey "$K/signing.pub" --anchor "$ANC"

# ---- the independent verifier ----------------------------------------------------------------

# iv_verify LOGDIR K1HEX PUBHEX: walks the log as docs/audit-format.md says and sets
#   IV_RECORDS IV_SHAPE_OK IV_SEQ_OK IV_MAC_OK IV_CHAIN_OK IV_CP IV_CP_OK IV_SIG_OK IV_TORN
#   IV_FIRST_BAD ("seq N: what", empty when all is well)  IV_KEYS (k_1..k_N, one a line)
#   IV_HEADS (the chain hash of every record, one a line)  IV_LOG_ID IV_LOG_PUB
iv_verify() {
    local dir=$1 k=$2 pubhex=$3 line body mac seq e=1 prev=$ZERO64 h type details
    IV_RECORDS=0 IV_SHAPE_OK=0 IV_SEQ_OK=0 IV_MAC_OK=0 IV_CHAIN_OK=0 IV_CP=0 IV_CP_OK=0
    IV_SIG_OK=0 IV_TORN=0 IV_FIRST_BAD="" IV_KEYS="" IV_HEADS="" IV_LOG_ID="" IV_LOG_PUB=""
    pub_pem "$pubhex" "$WD_TMP/iv.pem"
    bad() { [ -z "$IV_FIRST_BAD" ] && IV_FIRST_BAD="seq $1: $2"; }
    # segments in numeric order; a last line without "\n" is torn
    while IFS= read -r line || { [ -n "$line" ] && IV_TORN=1; }; do
        if [ "$IV_TORN" = 1 ]; then
            bad "$e" torn
            break
        fi
        IV_RECORDS=$((IV_RECORDS + 1))
        # "Each line is exactly BODY + ,"mac":" + MAC + "}": the suffix is the last 74 bytes
        if [[ $line =~ ^(.*),\"mac\":\"([0-9a-f]{64})\"\}$ ]]; then
            body=${BASH_REMATCH[1]}
            mac=${BASH_REMATCH[2]}
        else
            bad "$e" malformed
            continue
        fi
        if [[ $body =~ ^\{\"seq\":([1-9][0-9]*),\"ts\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\",\"type\":\"([A-Z][A-Z0-9_]{0,63})\",\"severity\":\"(LOW|MEDIUM|HIGH|CRITICAL)\",\"correlation_id\":\"([^\"\\]|\\.)*\",\"component\":\"([^\"\\]|\\.)*\",\"details\":(\{.*\}),\"prev\":\"([0-9a-f]{64})\"$ ]]; then
            IV_SHAPE_OK=$((IV_SHAPE_OK + 1))
            seq=${BASH_REMATCH[1]}
            type=${BASH_REMATCH[2]}
            details=${BASH_REMATCH[6]}
            [ "${BASH_REMATCH[7]}" = "$prev" ] && IV_CHAIN_OK=$((IV_CHAIN_OK + 1)) || bad "$seq" "prev is not the chain hash of the record before"
        else
            bad "$e" "not the canonical BODY"
            continue
        fi
        [ "$seq" = "$e" ] && IV_SEQ_OK=$((IV_SEQ_OK + 1)) || bad "$e" "seq $seq where $e was expected"
        IV_KEYS+="$k"$'\n'
        [ "$(hmac_hex "$k" "$body")" = "$mac" ] && IV_MAC_OK=$((IV_MAC_OK + 1)) || bad "$seq" "bad MAC"
        h=$(sha256_hex "$line")
        IV_HEADS+="$h"$'\n'
        if [ "$seq" = 1 ]; then
            if [[ $type == LOG_START && $details =~ ^\{\"log_id\":\"([0-9a-f]{32})\",\"public_key\":\"([0-9a-f]{64})\"\}$ ]]; then
                IV_LOG_ID=${BASH_REMATCH[1]}
                IV_LOG_PUB=${BASH_REMATCH[2]}
            else
                bad 1 "not a LOG_START"
            fi
        fi
        if [ "$type" = CHECKPOINT ]; then
            IV_CP=$((IV_CP + 1))
            if [[ $details =~ ^\{\"count\":([0-9]+),\"head\":\"([0-9a-f]{64})\",\"log_id\":\"([0-9a-f]{32})\",\"signature\":\"([0-9a-f]{128})\"\}$ ]]; then
                local count=${BASH_REMATCH[1]} head=${BASH_REMATCH[2]} id=${BASH_REMATCH[3]} sig=${BASH_REMATCH[4]}
                if [ "$count" = $((seq - 1)) ] && [ "$head" = "$prev" ] && [ "$id" = "$IV_LOG_ID" ]; then
                    IV_CP_OK=$((IV_CP_OK + 1))
                else
                    bad "$seq" "checkpoint count/head/log_id do not match the chain"
                fi
                if ed25519_verify "$WD_TMP/iv.pem" "$sig" "$id" "$count" "$head"; then
                    IV_SIG_OK=$((IV_SIG_OK + 1))
                else
                    bad "$seq" "bad checkpoint signature"
                fi
            else
                bad "$seq" "checkpoint details not in the documented form"
            fi
        fi
        prev=$h
        k=$(ratchet "$k")
        e=$((seq + 1))
    done < <(audit_cat "$dir")
    IV_NEXT_KEY=$k
}
K1=$(keyfile_hex "$K/mac.key" warden-audit-mac-key-v1)
PUB=$(keyfile_hex "$K/signing.pub" warden-audit-public-key-v1)
[ -n "$K1" ] && [ -n "$PUB" ]
wd_check $? "key files: mac.key and signing.pub are the documented header + 64 hex + newline"
# the PEM made from the raw key is what OpenSSL reads back as that Ed25519 key
pub_pem "$PUB" "$WD_TMP/pub.pem"
expect_eq "$(openssl pkey -pubin -in "$WD_TMP/pub.pem" -outform DER 2>/dev/null | tail -c 32 | bin2hex)" "$PUB" \
    "signing.pub as a PEM: openssl reads back the same 32-byte Ed25519 key"

iv_verify "$L" "$K1" "$PUB"
N=$(audit_count "$L")
expect_eq "$N" 9 "the log has the 9 records planned"
expect_eq "$IV_RECORDS" "$N" "independent: every line was read"
expect_eq "$IV_FIRST_BAD" "" "independent: no problem found"
expect_eq "$IV_TORN" 0 "independent: no torn line"
expect_eq "$IV_SHAPE_OK" "$N" "independent: every BODY has the documented canonical shape"
expect_eq "$IV_SEQ_OK" "$N" "independent: seq runs 1..$N"
expect_eq "$IV_MAC_OK" "$N" "independent: HMAC-SHA-256(k_seq, BODY) from openssl matches every mac (ratcheted keys)"
expect_eq "$IV_CHAIN_OK" "$N" "independent: SHA-256 of each line from openssl is the next prev (first prev = 64 zeros)"
expect_eq "$IV_CP" 3 "independent: 3 CHECKPOINT records"
expect_eq "$IV_CP_OK" 3 "independent: every checkpoint's count = seq-1, head = chain hash, log_id = LOG_START's"
expect_eq "$IV_SIG_OK" 3 "independent: every checkpoint signature verifies with openssl pkeyutl (Ed25519)"
expect_eq "$IV_LOG_PUB" "$PUB" "independent: LOG_START names the key in signing.pub"
# the ratchet: k_2 .. are all distinct and none is k_1; the writer state keeps none of the used
# keys ("whoever steals its state after record N cannot compute k_S for any S <= N")
expect_eq "$(printf '%s' "$IV_KEYS" | sort -u | wc -l)" "$N" "independent: $N distinct ratcheted keys k_1..k_$N"
expect_eq "$(printf '%s' "$IV_KEYS" | head -n 1)" "$K1" "independent: k_1 is the key in mac.key"
leaked=0
while IFS= read -r key; do
    [ -n "$key" ] && grep -qi -- "$key" "$K/writer.state" && leaked=$((leaked + 1))
done < <(printf '%s' "$IV_KEYS")
expect_eq "$leaked" 0 "writer.state holds none of the used keys k_1..k_$N"
grep -qi -- "$IV_NEXT_KEY" "$K/writer.state"
wd_check $? "control: the same search finds k_$((N + 1)), the key of the next record, in writer.state"

# the exported anchor: the same facts, the same signature message
anc=$(cat "$ANC")
if [[ $anc =~ ^\{\"format\":\"warden-audit-anchor-v1\",\"log_id\":\"([0-9a-f]{32})\",\"count\":([0-9]+),\"head\":\"([0-9a-f]{64})\",\"signature\":\"([0-9a-f]{128})\",\"public_key\":\"([0-9a-f]{64})\"\}$ ]]; then
    a_id=${BASH_REMATCH[1]} a_count=${BASH_REMATCH[2]} a_head=${BASH_REMATCH[3]}
    a_sig=${BASH_REMATCH[4]} a_pub=${BASH_REMATCH[5]}
    wd_pass "anchor: the documented fields, in the documented order"
    expect_eq "$a_id" "$IV_LOG_ID" "anchor: log_id is the log's"
    expect_eq "$a_pub" "$PUB" "anchor: public_key is signing.pub's"
    expect_eq "$a_count" 8 "anchor: count is the records before its checkpoint"
    expect_eq "$a_head" "$(printf '%s' "$IV_HEADS" | sed -n "${a_count}p")" "anchor: head is the chain hash of record count"
    ed25519_verify "$WD_TMP/pub.pem" "$a_sig" "$a_id" "$a_count" "$a_head"
    wd_check $? "anchor: its signature verifies with openssl"
    ed25519_verify "$WD_TMP/pub.pem" "$a_sig" "$a_id" $((a_count + 1)) "$a_head"
    wd_check $((!$?)) "anchor: the signature does not verify for another count"
    expect_eq "$a_sig" "$(audit_line "$L" 9 | sed -nE 's/.*"signature":"([0-9a-f]{128})".*/\1/p')" \
        "anchor: the signature is the one in CHECKPOINT 9"
else
    wd_fail "anchor: the documented fields, in the documented order" "${anc:0:300}"
fi

# ---- negative controls: the independent checks can fail ---------------------------------------

# a flipped byte in record 3's details: its MAC fails; warden agrees
cp -a "$L" "$WD_TMP/flip"
sed -i '3s/"fs"/"fz"/' "$WD_TMP/flip/audit-00000001.jsonl"
iv_verify "$WD_TMP/flip" "$K1" "$PUB"
expect_eq "$IV_FIRST_BAD" "seq 3: bad MAC" "independent, flipped byte: seq 3: bad MAC"
expect_eq "$IV_MAC_OK" $((N - 1)) "independent, flipped byte: every other MAC still matches"
expect_eq "$IV_CHAIN_OK" $((N - 1)) "independent, flipped byte: record 4's prev no longer matches"
expect_exit 1 -- "$WARDEN" audit verify --log "$WD_TMP/flip" --mac-key "$K/mac.key"
expect_stdout_matches '^seq 3: bad MAC:'
# another MAC key: the first MAC already fails
K2="$WD_TMP/k2"
audit_keygen "$K2"
iv_verify "$L" "$(keyfile_hex "$K2/mac.key" warden-audit-mac-key-v1)" "$PUB"
expect_eq "$IV_FIRST_BAD" "seq 1: bad MAC" "independent, another mac.key: seq 1: bad MAC"
expect_eq "$IV_MAC_OK" 0 "independent, another mac.key: no MAC matches"
# another public key: no signature verifies
iv_verify "$L" "$K1" "$(keyfile_hex "$K2/signing.pub" warden-audit-public-key-v1)"
expect_eq "$IV_SIG_OK" 0 "independent, another signing.pub: no signature verifies"
# a re-signed-looking checkpoint: a signature that is not the right one
cp -a "$L" "$WD_TMP/sig"
other=$(audit_line "$L" 8 | sed -nE 's/.*"signature":"([0-9a-f]{128})".*/\1/p')
sed -i -E "6s/\"signature\":\"[0-9a-f]{128}\"/\"signature\":\"$other\"/" "$WD_TMP/sig/audit-00000001.jsonl"
iv_verify "$WD_TMP/sig" "$K1" "$PUB"
expect_eq "$IV_SIG_OK" 2 "independent, checkpoint 6 given checkpoint 8's signature: that one fails"
expect_eq "$IV_FIRST_BAD" "seq 6: bad MAC" "independent, checkpoint 6 with another signature: its MAC fails first"
# a torn last line
cp -a "$L" "$WD_TMP/torn"
printf '{"seq":10,"ts":"2026' >>"$WD_TMP/torn/audit-00000001.jsonl"
iv_verify "$WD_TMP/torn" "$K1" "$PUB"
expect_eq "$IV_FIRST_BAD" "seq 10: torn" "independent, torn last line: seq 10: torn"

# ---- across segments: rotation does not change the rules ----------------------------------------

KR="$WD_TMP/kr"
LR="$WD_TMP/lr"
audit_keygen "$KR"
expect_exit 0 -- "$WARDEN" audit append --log "$LR" --keys "$KR" $NA --stdin --segment-bytes 4096 < <(audit_events 30)
[ "$(audit_segments "$LR" | wc -l)" -ge 2 ]
wd_check $? "rotation log: more than one segment"
iv_verify "$LR" "$(keyfile_hex "$KR/mac.key" warden-audit-mac-key-v1)" "$(keyfile_hex "$KR/signing.pub" warden-audit-public-key-v1)"
NR=$(audit_count "$LR")
expect_eq "$IV_FIRST_BAD" "" "independent, across segments: no problem found"
expect_eq "$IV_MAC_OK/$IV_CHAIN_OK/$IV_SIG_OK" "$NR/$NR/$IV_CP" "independent, across segments: every MAC, prev and signature"

finish
