# bench-pivot.awk -- reshape `longhand bench matmul` TSV (one row per variant,
# sizes and thread count) for the book; used only by `make bench`.
#   awk -v mode=table [-v only=N] -f bench-pivot.awk B.tsv
#       one row per variant and shape, the thread counts side by side
#       (GFLOP/s, % of peak and, when measured, the ratio to OpenBLAS);
#       with only=N, just the products whose M is N
#   awk -v mode=figure -f bench-pivot.awk B.tsv
#       one row per square size: each variant's GFLOP/s on one thread, the
#       threaded variant and OpenBLAS on the most threads, and the peaks
BEGIN { FS = OFS = "\t" }
NR == 1 { ratio = NF >= 8; next }
{
    key = $1 OFS $2 OFS $3 OFS $4
    if (!(key in seen)) { seen[key] = 1; keys[++nkeys] = key }
    if (!($5 in tseen)) { tseen[$5] = 1; threads[++nthreads] = $5 }
    gf[key, $5] = $6; pct[key, $5] = $7; vs[key, $5] = ratio ? $8 : ""
    if ($6 > 0 && $7 > 0) peak[$5] = $6 * 100 / $7
    if (!($2 in nseen)) { nseen[$2] = 1; sizes[++nsizes] = $2 }
    if (!($1 in vseen)) { vseen[$1] = 1; variants[++nvariants] = $1 }
}
END {
    if (mode == "figure") figure(); else table()
}
function table(   i, t, k, f) {
    printf "%s", only != "" ? "variant\t$n$" : "product\t$M$\t$N$\t$K$"
    for (t = 1; t <= nthreads; t++)
        printf "\tGFLOP/s, $t=%s$\t\\%%%s", threads[t], ratio ? "\tvs OB" : ""
    print ""
    for (i = 1; i <= nkeys; i++) {
        split(keys[i], f, OFS)
        if (only != "" && f[2] != only) continue
        printf "%s", only != "" ? f[1] OFS f[2] : keys[i]
        for (t = 1; t <= nthreads; t++) {
            k = keys[i] SUBSEP threads[t]
            printf "\t%s\t%s%s", (k in gf) ? gf[k] : "--", (k in pct) ? pct[k] : "--",
                   ratio ? "\t" ((k in vs) ? vs[k] : "--") : ""
        }
        print ""
    }
}
function figure(   s, v, n, t1, tn, key) {
    t1 = threads[1]; tn = threads[nthreads]
    printf "$n$"
    for (v = 1; v <= nvariants; v++) printf "\t%s", variants[v]
    print "\tthreaded, " tn " thr.\tOpenBLAS, " tn " thr.\tpeak, " t1 " thr.\tpeak, " tn " thr."
    for (s = 1; s <= nsizes; s++) {
        n = sizes[s]; key = OFS n OFS n OFS n
        printf "%s", n
        for (v = 1; v <= nvariants; v++)
            printf "\t%s", ((variants[v] key, t1) in gf) ? gf[variants[v] key, t1] : "nan"
        printf "\t%s", (("threaded" key, tn) in gf) ? gf["threaded" key, tn] : "nan"
        printf "\t%s", (("OpenBLAS" key, tn) in gf) ? gf["OpenBLAS" key, tn] : "nan"
        print "\t" peak[t1] "\t" peak[tn]
    }
}
