# A notangle filter: the committed tangled/ tree carries, where each chunk's
# code begins, the chunk's name as a one-line C comment (as PBRT-v4 does), so
# that it reads without the book.  A root chunk (a file name) opens its file
# with a line saying where it was tangled from, once.
# [[code]] quotes in a name lose their brackets; a "*/" in a name would end
# the comment early, so it is broken apart.
/^@file / { book = $2 }
/^@defn / {
    name = substr($0, 7)
    print
    pending = name !~ /^src\// || !(name in opened)
    opened[name] = 1
    next
}
pending && /^@nl$/ {
    print
    gsub(/\[\[|\]\]/, "", name)
    gsub(/\*\//, "* /", name)
    if (name ~ /^src\//)
        print "@text /* " substr(name, 5) ": tangled from " book "; edit the book, not this file. */"
    else
        print "@text /* " name " */"
    print "@nl"
    pending = 0
    next
}
{ print }
