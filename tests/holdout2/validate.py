"""Sanity check for the holdout2 evaluation files (not a pytest test)."""
import collections, json, pathlib, re, sys

HERE = pathlib.Path(__file__).parent
ROLES = {"employee", "manager", "communications", "policy_advisor", "executive"}
PLATFORMS = {"x", "linkedin", "facebook", "instagram", "tiktok", "blog", "other"}
ok = True
for name, prefix in [("public", "a"), ("private", "b")]:
    path = HERE / f"{name}.jsonl"
    ids, verdicts, rules = set(), collections.Counter(), collections.Counter()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"{path.name}:{n}: bad JSON: {e}"); ok = False; continue
        errs = []
        extra = set(obj) - {"id", "text", "role", "platform", "verdict", "rules", "why"}
        if extra: errs.append(f"unknown keys {extra}")
        if not re.fullmatch(prefix + r"\d{3}", str(obj.get("id", ""))): errs.append("bad id")
        if obj.get("id") in ids: errs.append("duplicate id")
        ids.add(obj.get("id"))
        if not isinstance(obj.get("text"), str) or not obj["text"].strip(): errs.append("empty text")
        if "role" in obj and obj["role"] not in ROLES: errs.append("bad role")
        if obj.get("platform") not in PLATFORMS: errs.append("bad platform")
        if obj.get("verdict") not in {"go", "caution", "stop"}: errs.append("bad verdict")
        r = obj.get("rules")
        if not isinstance(r, list) or not all(isinstance(x, int) and 1 <= x <= 15 for x in r) or r != sorted(set(r)):
            errs.append("bad rules")
        elif obj.get("verdict") == "go" and set(r) - {1}: errs.append("go with rules")
        elif obj.get("verdict") != "go" and not set(r) - {15}: errs.append("non-go without rules")
        if not isinstance(obj.get("why"), str) or not obj["why"].strip(): errs.append("empty why")
        for e in errs:
            print(f"{path.name}:{n} ({obj.get('id')}): {e}"); ok = False
        verdicts[obj.get("verdict")] += 1
        rules.update(r or [])
    missing = [k for k in range(1, 15) if rules[k] < 2]
    print(f"{name}: {len(ids)} drafts; verdicts {dict(verdicts)}")
    print(f"  rules {dict(sorted(rules.items()))}")
    if missing: print(f"  rules cited fewer than twice: {missing}"); ok = False
print("OK" if ok else "PROBLEMS FOUND")
sys.exit(0 if ok else 1)
