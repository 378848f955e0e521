# warden_handler_tree_hash(ROOT OUT_VAR): the tree hash of a Python handler's directory, as
# `sha256:` pins it in a runtime: python contract (docs/onex.md, "The tree hash"): every regular
# file under ROOT, recursively, except directories named __pycache__ and files ending .pyc;
# sorted by relative path bytewise; a manifest of "<sha256 hex of the content>  <relative
# path>\n" lines; SHA-256 of the manifest. The same as
#   cd ROOT && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -printf '%P\n' |
#     LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum
# A link in the tree is an error, as the runtime refuses one.
function(warden_handler_tree_hash root out_var)
  file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${root} ${root}/*)
  set(kept "")
  foreach(f IN LISTS files)
    if(f MATCHES "(^|/)__pycache__/" OR f MATCHES "\\.pyc$")
      continue()
    endif()
    if(IS_SYMLINK ${root}/${f})
      message(FATAL_ERROR "${root}/${f}: a symbolic link: a handler tree holds none")
    endif()
    list(APPEND kept ${f})
  endforeach()
  list(SORT kept COMPARE STRING CASE SENSITIVE)
  set(manifest "")
  foreach(f IN LISTS kept)
    file(SHA256 ${root}/${f} h)
    string(APPEND manifest "${h}  ${f}\n")
  endforeach()
  string(SHA256 tree "${manifest}")
  set(${out_var} ${tree} PARENT_SCOPE)
endfunction()
