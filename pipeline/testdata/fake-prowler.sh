#!/usr/bin/env bash
# A stand-in for the prowler executable: it checks the arguments Rampart
# passes, then writes Prowler's json-ocsf example output (the fixture in
# $FAKE_PROWLER_FIXTURE) to --output-directory/--output-filename.ocsf.json,
# with the unit's account and region filled in. In the global unit it adds
# one record for $FAKE_PROWLER_IAM_RESOURCE (iam_user_mfa_enabled_console_access).
set -euo pipefail
dir="" name=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output-directory) dir="$2"; shift 2 ;;
    --output-filename) name="$2"; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$dir" ] && [ -n "$name" ] || { echo "fake-prowler: no output directory or file name" >&2; exit 2; }
[ -n "${AWS_ACCESS_KEY_ID:-}" ] || { echo "fake-prowler: no credentials in the environment" >&2; exit 2; }
if [ -n "${FAKE_PROWLER_FAIL:-}" ]; then echo "fake-prowler: $FAKE_PROWLER_FAIL" >&2; exit 1; fi
region="$RAMPART_REGION"
out="$dir/$name.ocsf.json"
sed -e "s/<account_uid>/$RAMPART_ACCOUNT_ID/g" -e "s/<region>/$region/g" "$FAKE_PROWLER_FIXTURE" > "$out.tmp"
if [ "$region" = "global" ] && [ -n "${FAKE_PROWLER_IAM_RESOURCE:-}" ]; then
  # Drop the closing bracket and append one record.
  sed -e '$ d' "$out.tmp" > "$out"
  cat >> "$out" <<JSON
,{"metadata":{"event_code":"iam_user_mfa_enabled_console_access"},"severity":"High","status_code":"FAIL","status_id":1,
 "finding_info":{"title":"Ensure MFA is enabled for all IAM users that have a console password."},"time":1739539623,
 "cloud":{"provider":"aws","account":{"uid":"$RAMPART_ACCOUNT_ID"},"region":"us-east-1"},
 "resources":[{"uid":"$FAKE_PROWLER_IAM_RESOURCE","name":"user","type":"AwsIamUser","region":"us-east-1","group":{"name":"iam"}}]}
]
JSON
  rm "$out.tmp"
else
  mv "$out.tmp" "$out"
fi
