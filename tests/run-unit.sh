#!/bin/sh
# Runs cmocka test programs with TAP output and sums their results.
export CMOCKA_MESSAGE_OUTPUT=TAP
pass=0 fail=0 skip=0 broken=0
out=$(mktemp)
for t in "$@"; do
	echo "# $t"
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^ok ' "$out")
	s=$(grep -c '^ok .*# SKIP' "$out")
	f=$(grep -c '^not ok ' "$out")
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $t exited with status $rc"
		broken=$((broken + 1)) fail=$((fail + 1))
	fi
done
rm -f "$out"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
