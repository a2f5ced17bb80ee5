# prose.awk -- the prose of the book's noweb sources, as plain text: the
# corpus the book's worked training run learns from (awk -f prose.awk book/*.nw).
# Code chunks and comments are dropped; LaTeX commands go, their text stays.
/^<<.*>>=$/ { code = 1; next }
/^@( |$)/   { code = 0; sub(/^@ ?/, "") }
code || /^%/ { next }
/^\\(begin|end|label|input|includegraphics|centering|IfFileExists)/ { next }
{
    line = $0
    gsub(/\[\[|\]\]/, "", line)                      # [[name]] quotes
    gsub(/\\[a-zA-Z]+\*?(\[[^]]*\])?/, "", line)     # \command[opt]
    gsub(/[{}$~]/, "", line)
    gsub(/\\./, "", line)
    print line
}
