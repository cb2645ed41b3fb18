#!/usr/bin/env bash
# Downloads CIFAR-10, binary version (Krizhevsky, 2009, "Learning Multiple Layers of Features from
# Tiny Images"), and unpacks it into data/cifar-10-batches-bin/ next to this script, where the
# workbook's programs and tests look for it by default.
#
# Usage: bash data/get_datasets.sh      (from the package folder; works from any other folder too)
#
# - With CIFAR10_DIR set to a complete copy elsewhere, does nothing: the programs read that copy.
#   With CIFAR10_DIR set to an incomplete one, says so and fills data/ as below.
# - Does nothing but say so when the six batch files (30,730,000 bytes each) and batches.meta.txt
#   are already there. A folder with missing or wrong-sized files is unpacked again.
# - Keeps the archive, data/cifar-10-binary.tar.gz (about 163 MB), and reuses it when its MD5 checksum
#   is right; an archive with a wrong checksum is deleted and downloaded again.
# - Needs curl or wget, md5sum (or md5 on macOS) and tar.
#
# Test hooks, for checking this script offline; leave them unset to get the real data:
#   CIFAR10_URL  the archive to fetch instead of the official one, e.g. file:///tmp/fake.tar.gz
#                (file:// URLs need curl).
#   CIFAR10_MD5  the MD5 checksum that archive must have.
set -euo pipefail

readonly url="${CIFAR10_URL:-https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz}"
readonly expected_md5="${CIFAR10_MD5:-c32a1d4ab5d03f1284b67883e8d87530}"
data_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly data_dir
readonly archive="$data_dir/cifar-10-binary.tar.gz"
readonly partial="$archive.part"
readonly target="$data_dir/cifar-10-batches-bin"
readonly batch_files=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin)
readonly batch_bytes=30730000   # 10,000 records of 1 label byte + 3,072 pixel bytes

# Succeeds when every batch file has its full size and the class names are there.
is_complete() {
    local folder="${1:-$target}" file
    for file in "${batch_files[@]}"; do
        [[ -f "$folder/$file" ]] || return 1
        (( $(wc -c < "$folder/$file") == batch_bytes )) || return 1
    done
    [[ -s "$folder/batches.meta.txt" ]]
}

# Prints the MD5 checksum of a file.
md5_of() {
    if command -v md5sum > /dev/null 2>&1; then
        md5sum "$1" | cut -d ' ' -f 1
    else
        md5 -q "$1"
    fi
}

# Downloads the archive, through a partial file so that an interrupted download leaves no archive.
download() {
    echo "Downloading $url ..."
    trap 'rm -f "$partial"' EXIT
    local status=0
    if command -v curl > /dev/null 2>&1; then
        curl --fail --location --show-error --progress-bar --output "$partial" "$url" || status=$?
    else
        wget --output-document="$partial" "$url" || status=$?
    fi
    if [[ $status -ne 0 ]]; then
        echo "error: could not download $url." >&2
        echo "Without internet, use a copy you already have: set CIFAR10_DIR=/path/to/cifar-10-batches-bin" >&2
        echo "(or pass --data to the chapter programs), or put that folder at $target." >&2
        exit 1
    fi
    mv "$partial" "$archive"
    trap - EXIT
}

if [[ -n "${CIFAR10_DIR:-}" ]]; then
    if is_complete "$CIFAR10_DIR"; then
        echo "CIFAR10_DIR points at a complete copy ($CIFAR10_DIR); nothing to do."
        exit 0
    fi
    # The programs read CIFAR10_DIR before data/: a fresh copy in data/ would not be seen.
    if [[ -e "$CIFAR10_DIR/data_batch_1" || -e "$CIFAR10_DIR/cifar-10-batches-py/data_batch_1" ]]; then
        echo "warning: CIFAR10_DIR=$CIFAR10_DIR holds the Python version of CIFAR-10 (pickles); this" >&2
        echo "workbook reads the binary version (cifar-10-batches-bin, *.bin), which this script downloads." >&2
    fi
    echo "warning: CIFAR10_DIR=$CIFAR10_DIR is not a complete copy (a batch file is missing or not" >&2
    echo "30,730,000 bytes, or batches.meta.txt is missing). The programs read CIFAR10_DIR first, so" >&2
    echo "after this script puts the data into $target, unset CIFAR10_DIR (or point it there)." >&2
fi
if is_complete; then
    echo "CIFAR-10 is already in $target; nothing to do."
    exit 0
fi

if ! command -v curl > /dev/null 2>&1 && ! command -v wget > /dev/null 2>&1; then
    echo "error: this script needs curl or wget to download $url" >&2
    exit 1
fi
if ! command -v md5sum > /dev/null 2>&1 && ! command -v md5 > /dev/null 2>&1; then
    echo "error: this script needs md5sum (Linux) or md5 (macOS) to check the download" >&2
    exit 1
fi

if [[ -f "$archive" && "$(md5_of "$archive")" == "$expected_md5" ]]; then
    echo "Using the archive already downloaded: $archive"
else
    if [[ -f "$archive" ]]; then
        echo "The archive $archive is damaged (wrong MD5 checksum); downloading it again."
        rm -f "$archive"
    fi
    download
    actual_md5="$(md5_of "$archive")"
    if [[ "$actual_md5" != "$expected_md5" ]]; then
        rm -f "$archive"
        echo "error: the downloaded archive has MD5 $actual_md5, not $expected_md5, so it was deleted." >&2
        echo "The download was probably cut short: run this script again." >&2
        exit 1
    fi
fi

echo "Unpacking into $target ..."
tar -xzf "$archive" -C "$data_dir"
if ! is_complete; then
    echo "error: $archive did not unpack to the expected files in $target" >&2
    echo "(${batch_files[*]} of $batch_bytes bytes each, and batches.meta.txt)." >&2
    exit 1
fi
echo "CIFAR-10 is ready in $target."
