# code-share.awk -- how much of the chapters' printed code is the model's and
# the algorithms', read from noweb's markup of every chapter:
#   /usr/lib/noweb/markup book/*.nw | awk -f book/code-share.awk
# A chunk is machinery when every root it reaches is the program's (a
# command, a trace part, a benchmark, the option parser, the shared helpers,
# the worked example's reader); the rest is model and algorithm.  Prints
# values.tsv rows: the share of model code among the main chapters' code
# lines, and the code lines of the chapters and of the program's part.
/^@file / { file = $2; main = file !~ /\/9[0-9]-/ }
/^@defn / { name = substr($0, 7); in_code = 1; next }
/^@use / && in_code { uses[name, ++nuses[name]] = substr($0, 6); next }
/^@end code/ { in_code = 0 }
/^@nl$/ && in_code { lines[name, main ? "main" : "program"]++; names[name] = 1 }
END {
    for (n in names)
        if (n ~ /^src\//)
            reach(n, n ~ /^src\/(cmd-|trace|cli|support|main|commands|example)/)
    for (n in names) {
        is_program = (n in program) && !(n in library)
        if (is_program)
            machinery += lines[n, "main"]
        chapters += lines[n, "main"]
        part += lines[n, "program"]
    }
    printf "CodeChapterLines\t%d\nCodeProgramLines\t%d\n", chapters, part
    printf "CodeModelShare\t%.0f\n", 100 * (chapters - machinery) / chapters
}
function reach(n, is_program,    i) {
    if (is_program) { if (n in program) return; program[n] = 1 }
    else { if (n in library) return; library[n] = 1 }
    for (i = 1; i <= nuses[n]; i++)
        reach(uses[n, i], is_program)
}
