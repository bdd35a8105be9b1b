#!/usr/bin/env bash
# What `make demo`, `make check` and `make test` need besides Python 3.11: Java 17 for Spark, and for the
# tests headless Chromium with fonts for every script the dashboards show. Says what is missing and how to
# install it, instead of letting a test fail far into the run. Usage: tools/prerequisites.sh [java] [browser]
set -uo pipefail
missing=0
need() { echo "missing: $1" >&2; echo "  install: $2" >&2; missing=1; }
for what in "$@"; do
    case "$what" in
    java)
        if ! command -v java >/dev/null 2>&1; then
            need "Java 17 (Spark runs on it)" "apt-get install openjdk-17-jre-headless   # macOS: brew install openjdk@17"
        else
            major=$(java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -1)
            if [ -n "$major" ] && [ "$major" -lt 17 ]; then
                need "Java 17 or newer (found Java $major)" "apt-get install openjdk-17-jre-headless"
            fi
        fi
        ;;
    browser)
        command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
            need "Chromium (the dashboard tests render pages headless)" \
                "apt-get install --no-install-recommends chromium   # macOS: brew install --cask chromium"
        if command -v fc-list >/dev/null 2>&1; then
            fc-list :lang=ar | grep -q . || need "a font for Arabic and Cyrillic" "apt-get install fonts-dejavu-core"
            fc-list :lang=ja | grep -q . || need "a font for Chinese and Japanese" "apt-get install fonts-noto-cjk"
        fi
        ;;
    esac
done
[ "$missing" -eq 0 ] || echo "(.ci/run installs all of these on Debian where they are missing)" >&2
exit "$missing"
