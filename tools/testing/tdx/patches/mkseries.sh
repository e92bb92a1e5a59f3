#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the patch series of this repository against the pristine tree.
#
# Usage: mkseries.sh [-m MANIFEST] [--no-checkpatch] [--no-src-check]
#                    REPO SRC OUTDIR
#
#   REPO      this repository
#   SRC       the tree prepare-tree.sh prepared (build/src): a git
#             repository whose tag "base" is the pristine tree.  Only
#             read; it should be up to date (make tree).
#   OUTDIR    scratch directory; its ref/, work/ and series/ are replaced
#   MANIFEST  the series (default: series.conf next to this script)
#
#   --no-checkpatch   skip step 6
#   --no-src-check    report where SRC is out of date, but do not fail
#
# Steps:
#  1. OUTDIR/ref: a clone of SRC at "base", prepared by prepare-tree.sh
#     from REPO.  This is the tree the series must end in.
#  2. Every file prepare-tree.sh lays over base must belong to exactly
#     one patch of the manifest, or be excluded by it.
#  3. OUTDIR/work: a clone of SRC at "base", on which every patch of the
#     manifest is committed in turn, authored and signed off by the
#     series' author.
#  4. The tree of the last commit must be OUTDIR/ref's (less the excluded
#     files), and SRC must hold the same content for every path the
#     series or patches/ touch.
#  5. OUTDIR/series: git format-patch of the series, with a cover letter.
#  6. checkpatch.pl --strict on every patch, in the tree: any error,
#     warning or check fails, except in the files the manifest exempts
#     (reported, not counted).  checkpatch's question whether MAINTAINERS
#     needs updating is replaced by a check that a MAINTAINERS section
#     other than THE REST covers every file the series adds.
#
# Steps 1 to 4 stop at the first problem; the series is written even if
# SRC is out of date or checkpatch finds something, which fail at the end.
# Exits 0 only if all of it holds.
set -euo pipefail

AUTHOR_NAME="TDX update maintainers"
AUTHOR_EMAIL="tdx-update@localhost"
BRANCH=tdx-module-update
MAX_COLS=72

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest=$here/series.conf
checkpatch=1
src_check=1

usage() {
	sed -n '3,/^set -euo/{/^#/p}' "${BASH_SOURCE[0]}" |
		sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-m) manifest=$2; shift 2 ;;
	--no-checkpatch) checkpatch=0; shift ;;
	--no-src-check) src_check=0; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 3 ] || usage

die() {
	echo "mkseries: $*" >&2
	exit 1
}

repo=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
mkdir -p "$3"
out=$(cd "$3" && pwd)
manifest=$(cd "$(dirname "$manifest")" && pwd)/$(basename "$manifest")
[ -f "$manifest" ] || die "no manifest $manifest"
git -C "$src" rev-parse -q --verify 'base^{commit}' >/dev/null ||
	die "$src has no tag base (run prepare-tree.sh first)"
case $out/ in
"$src"/*) die "OUTDIR must not be inside SRC" ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------------
# The manifest.

n=0			# patches
declare -a SLUG SUBJECT BODY FILES SEDS WRITES APPLIES
EXCLUDES=()
CP_EXCLUDES=()
COVER=

# Parse the manifest into the arrays above, indexed by patch number.
parse_manifest() {
	local line lineno=0 in_block='' block='' path words w

	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		if [ -n "$in_block" ]; then
			if [ "$line" != "%end" ]; then
				block+=$line$'\n'
				continue
			fi
			case $in_block in
			cover) COVER=$block ;;
			body) BODY[n]=$block ;;
			write)
				printf '%s' "$block" > "$tmp/write.$n.$lineno"
				WRITES[n]+=$path$'\t'$tmp/write.$n.$lineno$'\n'
				;;
			esac
			in_block=
			continue
		fi
		case $line in
		''|'#'*) continue ;;
		%cover) in_block=cover; block=''; continue ;;
		'%exclude '*)
			read -ra words <<<"${line#%exclude }"
			EXCLUDES+=("${words[@]}")
			continue
			;;
		'%checkpatch-exclude '*)
			read -ra words <<<"${line#%checkpatch-exclude }"
			CP_EXCLUDES+=("${words[0]}")
			continue
			;;
		'%patch '*)
			n=$((n + 1))
			SLUG[n]=${line#%patch }
			continue
			;;
		esac
		[ "$n" -gt 0 ] ||
			die "$manifest:$lineno: '$line' before the first %patch"
		case $line in
		'%subject '*) SUBJECT[n]=${line#%subject } ;;
		'%file '*)
			read -ra words <<<"${line#%file }"
			for w in "${words[@]}"; do
				FILES[n]+=$w$'\n'
			done
			;;
		'%apply '*) APPLIES[n]+=${line#%apply }$'\n' ;;
		'%sed '*)
			line=${line#%sed }
			SEDS[n]+=${line%% *}$'\t'${line#* }$'\n'
			;;
		'%write '*) path=${line#%write }; in_block='write'; block='' ;;
		%body) in_block=body; block='' ;;
		*) die "$manifest:$lineno: cannot parse '$line'" ;;
		esac
	done < "$manifest"
	[ -z "$in_block" ] || die "$manifest: %$in_block block without %end"
	[ "$n" -gt 0 ] || die "$manifest: no %patch"
}

is_glob() {
	case $1 in
	*[*?[]*) return 0 ;;
	esac
	return 1
}

# Does path $1 match any of the globs that follow?
matches_any() {
	local path=$1 pat
	shift
	for pat in "$@"; do
		# shellcheck disable=SC2053 # the pattern is a glob
		[[ $path == $pat ]] && return 0
	done
	return 1
}

# Check the changelogs: subject form, line lengths, presence.
check_messages() {
	local i line ln
	for ((i = 1; i <= n; i++)); do
		[ -n "${SUBJECT[i]:-}" ] || die "patch ${SLUG[i]}: no %subject"
		[ -n "${BODY[i]:-}" ] || die "patch ${SLUG[i]}: no %body"
		[[ ${SUBJECT[i]} =~ ^([A-Za-z0-9/_.-]+:\ )+[A-Z] ]] ||
			die "patch ${SLUG[i]}: subject needs 'prefix: Capitalized'"
		[ ${#SUBJECT[i]} -le $MAX_COLS ] ||
			die "patch ${SLUG[i]}: subject longer than $MAX_COLS"
		ln=0
		while IFS= read -r line; do
			ln=$((ln + 1))
			line=${line//$'\t'/        }
			[ ${#line} -le $MAX_COLS ] ||
				die "patch ${SLUG[i]}: body line $ln longer than $MAX_COLS"
		done <<<"${BODY[i]}"
	done
	[ -n "$COVER" ] || die "$manifest: no %cover"
}

parse_manifest
check_messages

# ---------------------------------------------------------------------
# 1. The reference tree.

git_quiet() { git -c advice.detachedHead=false "$@"; }

# A clone of SRC at base in $1.  One left by an earlier run is reset
# instead, which rewrites only the files that differ.
clone_at_base() {
	local dir=$1 want have
	want=$(git -C "$src" rev-parse 'base^{commit}')
	have=$(git -C "$dir" rev-parse -q --verify 'base^{commit}' 2>/dev/null || true)
	if [ "$have" = "$want" ]; then
		git_quiet -C "$dir" checkout -q -f --detach base
		git -C "$dir" clean -q -f -d -x
	else
		rm -rf "$dir"
		git clone -q --shared --no-checkout "$src" "$dir"
		git_quiet -C "$dir" checkout -q base
	fi
}

echo "mkseries: preparing the reference tree in $out/ref"
rm -rf "$out/series"
clone_at_base "$out/ref"
# SRC's base, already there: prepare-tree.sh only checks its name.
cp "$src/.base-ready" "$out/ref/.base-ready"
"$repo/tools/testing/tdx/prepare-tree.sh" "$repo" "$out/ref" \
	"$(cat "$src/.base-ready")" > "$tmp/prepare.log"
rm -f "$out/ref/.base-ready" "$out/ref/.patches-sum" "$out/ref/.patched-files"

# ---------------------------------------------------------------------
# 2. Who owns which file.

# What prepare-tree.sh lays over base: see its rsync.
mapfile -t OVERLAY < <(cd "$repo" &&
	for d in arch drivers include tools Documentation; do
		[ -d "$d" ] || continue
		find "$d" -type f ! -name '*.o' ! -name '.*.cmd'
	done | LC_ALL=C sort)

declare -A OWNER=() EXCLUDED=() IN_OVERLAY=()
for f in "${OVERLAY[@]}"; do
	IN_OVERLAY[$f]=1
	matches_any "$f" "${EXCLUDES[@]}" && EXCLUDED[$f]=1
done

# Explicit paths first, then globs for what is left.
declare -a RESOLVED
errors=0
for ((i = 1; i <= n; i++)); do
	RESOLVED[i]=
	while IFS= read -r w; do
		[ -n "$w" ] || continue
		is_glob "$w" && continue
		if [ -n "${EXCLUDED[$w]:-}" ]; then
			echo "mkseries: $w is excluded but named by ${SLUG[i]}" >&2
			errors=$((errors + 1))
		elif [ -n "${OWNER[$w]:-}" ]; then
			echo "mkseries: $w is named by ${SLUG[OWNER[$w]]} and ${SLUG[i]}" >&2
			errors=$((errors + 1))
		elif [ -z "${IN_OVERLAY[$w]:-}" ] && [ ! -f "$out/ref/$w" ]; then
			echo "mkseries: ${SLUG[i]} names $w, which does not exist" >&2
			errors=$((errors + 1))
		else
			OWNER[$w]=$i
			RESOLVED[i]+=$w$'\n'
		fi
	done <<<"${FILES[i]:-}"
done
for ((i = 1; i <= n; i++)); do
	while IFS= read -r w; do
		[ -n "$w" ] || continue
		is_glob "$w" || continue
		hit=0
		for f in "${OVERLAY[@]}"; do
			# shellcheck disable=SC2053 # the pattern is a glob
			[[ $f == $w ]] || continue
			[ -z "${EXCLUDED[$f]:-}" ] || continue
			hit=1
			if [ -z "${OWNER[$f]:-}" ]; then
				OWNER[$f]=$i
				RESOLVED[i]+=$f$'\n'
			elif [ "${OWNER[$f]}" != "$i" ]; then
				echo "mkseries: $f is claimed by ${SLUG[OWNER[$f]]} and by ${SLUG[i]}'s $w" >&2
				errors=$((errors + 1))
			fi
		done
		if [ $hit -eq 0 ]; then
			echo "mkseries: ${SLUG[i]}: $w matches nothing" >&2
			errors=$((errors + 1))
		fi
	done <<<"${FILES[i]:-}"
done
for f in "${OVERLAY[@]}"; do
	if [ -z "${OWNER[$f]:-}" ] && [ -z "${EXCLUDED[$f]:-}" ]; then
		echo "mkseries: $f belongs to no patch: add it to $(basename "$manifest")" >&2
		errors=$((errors + 1))
	fi
done
[ $errors -eq 0 ] || die "$errors error(s) in the manifest"

# ---------------------------------------------------------------------
# 3. The series, commit by commit.

echo "mkseries: committing $n patches in $out/work"
clone_at_base "$out/work"
git_quiet -C "$out/work" checkout -q -B "$BRANCH"

# The author, and a date that depends on nothing but REPO's last commit.
export GIT_AUTHOR_NAME=$AUTHOR_NAME GIT_AUTHOR_EMAIL=$AUTHOR_EMAIL
export GIT_COMMITTER_NAME=$AUTHOR_NAME GIT_COMMITTER_EMAIL=$AUTHOR_EMAIL
date0=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)

# Drop trailing blank lines (of an intermediate version).
trim_trailing_blank() {
	awk '{ line[NR] = $0 }
	     END { last = NR
		   while (last > 0 && line[last] == "") last--
		   for (i = 1; i <= last; i++) print line[i] }'
}

# Write $2 (a file) as path $1 of the work tree, with the mode of the
# final version.
install_as() {
	local path=$1 from=$2 w=$out/work
	mkdir -p "$(dirname "$w/$path")"
	cat "$from" > "$w/$path"
	if [ -f "$out/ref/$path" ]; then
		chmod --reference="$out/ref/$path" "$w/$path"
	fi
	git -C "$w" add -f -- "$path"
}

apply_patch() {
	local i=$1 w=$out/work p path script f args s
	local -A sed_paths=()

	while IFS= read -r p; do
		[ -n "$p" ] || continue
		[ -f "$repo/patches/$p" ] || die "${SLUG[i]}: no patches/$p"
		git -C "$w" apply --index "$repo/patches/$p" ||
			die "${SLUG[i]}: patches/$p does not apply"
	done <<<"${APPLIES[i]:-}"

	while IFS= read -r f; do
		[ -n "$f" ] || continue
		install_as "$f" "$out/ref/$f"
	done <<<"${RESOLVED[i]}"

	while IFS=$'\t' read -r path script; do
		[ -n "$path" ] || continue
		[ -f "$out/ref/$path" ] || die "${SLUG[i]}: %sed on missing $path"
		sed -e "$script" "$out/ref/$path" > "$tmp/sed.out" ||
			die "${SLUG[i]}: bad sed script for $path: $script"
		cmp -s "$tmp/sed.out" "$out/ref/$path" &&
			die "${SLUG[i]}: '$script' no longer changes $path"
		sed_paths[$path]+=$script$'\n'
	done <<<"${SEDS[i]:-}"
	for path in "${!sed_paths[@]}"; do
		args=()
		while IFS= read -r s; do
			[ -n "$s" ] && args+=(-e "$s")
		done <<<"${sed_paths[$path]}"
		sed "${args[@]}" "$out/ref/$path" | trim_trailing_blank \
			> "$tmp/sed.out"
		install_as "$path" "$tmp/sed.out"
	done

	while IFS=$'\t' read -r path f; do
		[ -n "$path" ] || continue
		install_as "$path" "$f"
	done <<<"${WRITES[i]:-}"

	git -C "$w" diff --cached --quiet &&
		die "${SLUG[i]} changes nothing"
	{
		printf '%s\n\n%s\n' "${SUBJECT[i]}" "${BODY[i]}"
		printf 'Signed-off-by: %s <%s>\n' "$AUTHOR_NAME" "$AUTHOR_EMAIL"
	} > "$tmp/msg"
	GIT_AUTHOR_DATE="@$((date0 + i * 60)) +0000" \
	GIT_COMMITTER_DATE="@$((date0 + i * 60)) +0000" \
		git -C "$w" commit -q --cleanup=verbatim -F "$tmp/msg"
}

for ((i = 1; i <= n; i++)); do
	apply_patch "$i"
done

# ---------------------------------------------------------------------
# 4. The last commit must be the prepared tree.

echo "mkseries: comparing the series with the tree prepare-tree.sh prepares"
for f in "${!EXCLUDED[@]}"; do
	rm -f "$out/ref/$f"
done
git -C "$out/ref" add -A -f
ref_tree=$(git -C "$out/ref" write-tree)
work_tree=$(git -C "$out/work" rev-parse 'HEAD^{tree}')
if [ "$ref_tree" != "$work_tree" ]; then
	git -C "$out/ref" fetch -q "$out/work" "$BRANCH"
	echo "mkseries: the series does not end in the prepared tree:" >&2
	git -C "$out/ref" diff --cached --stat FETCH_HEAD >&2
	die "series and prepared tree differ (see above; + is the prepared tree)"
fi

# SRC itself, for every path the series or patches/ touch.
mapfile -t touched < <({
	git -C "$out/work" diff --name-only base HEAD
	grep -h '^+++ b/' "$repo"/patches/*.patch | cut -c7-
} | LC_ALL=C sort -u)
stale=()
for f in "${touched[@]}"; do
	cmp -s "$out/work/$f" "$src/$f" || stale+=("$f")
done
# What fails the series, found after the series was written.
problems=()
if [ ${#stale[@]} -gt 0 ]; then
	echo "mkseries: $src differs from the series at ${#stale[@]} path(s):"
	printf '  %s\n' "${stale[@]}"
	if [ $src_check -eq 1 ]; then
		problems+=("$src is out of date (make tree; or --no-src-check)")
	else
		echo "mkseries: (not an error: --no-src-check)"
	fi
else
	echo "mkseries: $src agrees at all ${#touched[@]} paths"
fi

# ---------------------------------------------------------------------
# 5. The patches.

git -C "$out/work" config "branch.$BRANCH.description" "$COVER"
git -C "$out/work" format-patch -q --cover-letter \
	--cover-from-description=subject --base=base \
	-o "$out/series" base.."$BRANCH" >/dev/null
mapfile -t PATCHES < <(find "$out/series" -name '[0-9][0-9][0-9][0-9]-*.patch' \
	! -name '0000-*' | LC_ALL=C sort)
[ ${#PATCHES[@]} -eq "$n" ] || die "format-patch wrote ${#PATCHES[@]} patches, not $n"
echo "mkseries: $n patches and a cover letter in $out/series"
for ((i = 1; i <= n; i++)); do
	printf '  %02d %s\n' "$i" "${SUBJECT[i]}"
done

# ---------------------------------------------------------------------
# 6. checkpatch and MAINTAINERS.

finish() {
	if [ ${#problems[@]} -gt 0 ]; then
		printf 'mkseries: %s\n' "${problems[@]}" >&2
		die "the series is not ready"
	fi
	echo "mkseries: the series is ready"
	exit 0
}

if [ $checkpatch -eq 0 ]; then
	echo "mkseries: checkpatch skipped"
	finish
fi

# checkpatch validates SPDX identifiers with scripts/spdxcheck.py, which
# needs python3 with ply and GitPython; it skips the check silently when
# they are missing.  Prefer a python3 that has them.
cp_path=$PATH
if ! python3 -c 'import ply, git' 2>/dev/null; then
	if /usr/bin/python3 -c 'import ply, git' 2>/dev/null; then
		cp_path=/usr/bin:$PATH
	else
		echo "mkseries: note: SPDX identifiers not validated (python3 lacks ply or git: apt-get install python3-ply python3-git)"
	fi
fi

echo "mkseries: checkpatch.pl --strict on every patch"
total_e=0 total_w=0 total_c=0 excl_count=0
for ((i = 1; i <= n; i++)); do
	p=${PATCHES[i - 1]}
	files=$(git -C "$out/work" diff --name-only "$BRANCH~$((n - i + 1))" "$BRANCH~$((n - i))")
	(cd "$out/work" && PATH=$cp_path perl scripts/checkpatch.pl --strict \
		--terse --showfile --color=never --ignore FILE_PATH_CHANGES "$p" \
		2>"$tmp/cp.err") > "$tmp/cp.out" || true
	if grep -q 'Does not appear to be a unified-diff' "$tmp/cp.out"; then
		die "checkpatch cannot read $p"
	fi
	e=0 wn=0 c=0
	: > "$tmp/cp.counted"
	: > "$tmp/cp.excluded"
	while IFS= read -r line; do
		case $line in
		*': ERROR: '*|*': WARNING: '*|*': CHECK: '*) ;;
		*) continue ;;
		esac
		file=${line%%:*}
		if grep -qxF -- "$file" <<<"$files" &&
		   matches_any "$file" "${CP_EXCLUDES[@]}"; then
			echo "$line" >> "$tmp/cp.excluded"
			continue
		fi
		echo "$line" >> "$tmp/cp.counted"
		case $line in
		*': ERROR: '*) e=$((e + 1)) ;;
		*': WARNING: '*) wn=$((wn + 1)) ;;
		*) c=$((c + 1)) ;;
		esac
	done < "$tmp/cp.out"
	x=$(wc -l < "$tmp/cp.excluded")
	printf '  %02d %d errors, %d warnings, %d checks%s\n' "$i" "$e" "$wn" "$c" \
		"$([ "$x" -eq 0 ] || echo ", $x in exempt test programs")"
	sed 's/^/       /' "$tmp/cp.counted"
	sed 's/^/       exempt: /' "$tmp/cp.excluded"
	total_e=$((total_e + e)) total_w=$((total_w + wn)) total_c=$((total_c + c))
	excl_count=$((excl_count + x))
done

# MAINTAINERS: every file the series adds must have a section.
echo "mkseries: MAINTAINERS coverage of the files the series adds"
uncovered=()
while IFS= read -r f; do
	sections=$(cd "$out/work" &&
		{ perl scripts/get_maintainer.pl --no-git --sections -f "$f" \
			2>/dev/null || true; } |
		{ grep -v -e '^[A-Z]:' -e '^$' -e '^THE REST$' || true; })
	[ -n "$sections" ] || uncovered+=("$f")
done < <(git -C "$out/work" diff --name-only --diff-filter=A base "$BRANCH")
if [ ${#uncovered[@]} -gt 0 ]; then
	echo "  only THE REST covers (files per directory):"
	printf '%s\n' "${uncovered[@]}" | xargs -n1 dirname | LC_ALL=C sort |
		uniq -c | awk '{ printf "    %s/ (%d)\n", $2, $1 }'
fi

echo "mkseries: checkpatch --strict: $n patches, $total_e errors, $total_w warnings, $total_c checks ($excl_count findings in exempt test programs)"
[ $((total_e + total_w + total_c)) -eq 0 ] ||
	problems+=("checkpatch is not clean")
[ ${#uncovered[@]} -eq 0 ] ||
	problems+=("${#uncovered[@]} added files have no MAINTAINERS section")
finish
