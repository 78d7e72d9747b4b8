# Sourced by the new-user trial scripts: materialise a public repository from its fetched mirror
# (/work/.mirror/<owner>+<name>/repo, made by the `fetch` tool) with its full history.
#
#   clone_mirror DIR owner+repo COMMIT [SPARSE PATTERN ...]
#   clone NAME owner+repo COMMIT [SPARSE PATTERN ...]     # into "$DATA/NAME" ($DATA: the script's data folder)
#
# With patterns, only those paths are checked out (some mirrors lack a few large test blobs).
# An existing clone is reused; nothing is ever committed to it.
clone_mirror() {
  local dir=$1 mirror="/work/.mirror/$2/repo" commit=$3
  shift 3
  if [ ! -d "$dir/.git" ]; then
    if [ "$#" -gt 0 ]; then
      git clone -q --no-checkout "$mirror" "$dir"
      git -C "$dir" sparse-checkout set --no-cone "$@"
    else
      git clone -q "$mirror" "$dir"
    fi
  fi
  if [ "$#" -gt 0 ]; then
    git -C "$dir" checkout -q "$commit" 2>/dev/null || true  # a missing blob outside the patterns
  else
    git -C "$dir" checkout -q "$commit"
  fi
}

clone() {
  local name=$1
  shift
  clone_mirror "$DATA/$name" "$@"
}
