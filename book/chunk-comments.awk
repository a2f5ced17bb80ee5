# A notangle filter: the committed tangled/ tree carries, where each chunk's
# code begins, the chunk's name as a one-line C comment (as PBRT-v4 does), so
# that it reads without the book.  Root chunks (file names) are left alone.
# [[code]] quotes in a name lose their brackets; a "*/" in a name would end
# the comment early, so it is broken apart.
/^@defn / {
    name = substr($0, 7)
    print
    pending = name !~ /^src\//
    next
}
pending && /^@nl$/ {
    print
    gsub(/\[\[|\]\]/, "", name)
    gsub(/\*\//, "* /", name)
    print "@text /* " name " */"
    print "@nl"
    pending = 0
    next
}
{ print }
