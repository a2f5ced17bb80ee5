# split-weave.awk -- split one `noweave -n -index` stream into the files the
# master book/longhand.tex reads (noweave ... | awk -v dir=DIR -f split-weave.awk):
#   DIR/NN-topic.tex  one per book/NN-topic.nw, for \include (00-* is front matter)
#   DIR/chapters.tex  the \include lines of the main-matter chapters, in order
#   DIR/program.tex   those of the program's part (9N-*), which follow as appendices
#   DIR/index.tex     noweave's sorted index of chunks and identifiers
# noweave starts each file with \nwfilename{...}, often mid-line after the
# previous file's \nwenddocs{}; what precedes the marker stays with that file.
/^\\nwixlogsorted/ { print > (dir "/index.tex"); next }
(i = index($0, "\\nwfilename{")) > 0 {
    if (i > 1) print substr($0, 1, i - 1) > out
    name = substr($0, i + 12); name = substr(name, 1, index(name, "}") - 1)
    sub(/^.*\//, "", name); sub(/\.nw$/, "", name)
    if (out != "") close(out)
    out = dir "/" name ".tex"
    if (name ~ /^9[0-9]-/) print "\\include{woven/" name "}" > (dir "/program.tex")
    else if (name !~ /^00-/) print "\\include{woven/" name "}" > (dir "/chapters.tex")
    print substr($0, i) > out
    next
}
{ print > out }
