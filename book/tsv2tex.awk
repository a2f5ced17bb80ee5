# tsv2tex.awk -- the one converter from the program's TSV to LaTeX.
#   awk -f tsv2tex.awk T.tsv               a booktabs tabular; the first row is
#                                          the header, in LaTeX; other cells are
#                                          numbers, $math$, `code` or plain text
#                                          (escaped), and numeric columns align right
#   awk -v mode=values -f tsv2tex.awk V.tsv   rows "name<TAB>value" become
#                                          \newcommand{\name}{value}; whole numbers
#                                          stay bare so that LaTeX can count with them
BEGIN { FS = "\t" }
function numeric(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
# A number as it should print: a true minus sign, powers of ten as 10^k.
function cell(s,    m, e, code) {
    if (s ~ /^-?nan$/) return "\\textsc{nan}"
    if (s ~ /^[-+]?inf$/) return (s ~ /^-/ ? "\\ensuremath{-\\infty}" : "\\ensuremath{\\infty}")
    if (numeric(s)) {
        m = s; e = ""
        if (match(s, /[eE]/)) { m = substr(s, 1, RSTART - 1); e = substr(s, RSTART + 1) + 0 }
        if (e != "" && m ~ /^[-+]?0*\.?0*$/) return "\\ensuremath{0}"  # 0.0e+00 is zero
        return "\\ensuremath{" m (e != "" ? "\\times10^{" e "}" : "") "}"
    }
    if (s ~ /^\$[^$]+\$$/) return s
    code = s ~ /^`[^`]*`$/
    if (code) s = substr(s, 2, length(s) - 2)
    # Backslashes become a placeholder first, so that the braces of
    # \textbackslash{} are not escaped with the text's own braces.
    gsub(/\\/, "\001", s); gsub(/[_&%#$]/, "\\\\&", s); gsub(/[{}]/, "\\\\&", s)
    gsub(/\001/, "\\textbackslash{}", s)
    gsub(/~/, "\\textasciitilde{}", s); gsub(/\^/, "\\textasciicircum{}", s)
    return code ? "\\texttt{" s "}" : s
}
mode == "values" {
    if (NF != 2 || $1 !~ /^[A-Za-z]+$/) {
        printf "tsv2tex: %s:%d: want name<TAB>value with a letters-only name\n", FILENAME, NR > "/dev/stderr"
        exit 1
    }
    # A whole number stays bare, so that it can also count (\numexpr, \foreach).
    printf "\\newcommand{\\%s}{%s}\n", $1, ($2 ~ /^[0-9]+$/ ? $2 : cell($2)); next
}
{ rows[NR] = $0; if (NF > ncol) ncol = NF
  for (i = 1; i <= NF; i++) if (NR > 1 && !numeric($i) && $i !~ /^[-+]?(nan|inf)$/) text[i] = 1 }
END {
    if (mode == "values") exit
    spec = ""; for (i = 1; i <= ncol; i++) spec = spec (text[i] ? "l" : "r")
    print "\\begin{tabular}{" spec "}"; print "\\toprule"
    for (r = 1; r <= NR; r++) {
        n = split(rows[r], f, "\t"); line = ""
        for (i = 1; i <= n; i++) line = line (i > 1 ? " & " : "") (r == 1 ? f[i] : cell(f[i]))
        print line " \\\\"
        if (r == 1) print "\\midrule"
    }
    print "\\bottomrule"; print "\\end{tabular}"
}
