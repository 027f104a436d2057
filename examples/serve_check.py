import json, os, sys, urllib.request

GATE = os.environ.get("TOOLGATE_SERVER", "http://127.0.0.1:8777")

def may_run(tool, user):
    """Ask `toolgate serve` before the tool runs: (allowed, the decision)."""
    body = json.dumps({"tool": tool, "identifier": user}).encode()
    with urllib.request.urlopen(GATE + "/v1/check", data=body, timeout=10) as answer:
        decision = json.load(answer)
    return decision["verdict"] == "ALLOW", decision

allowed, decision = may_run(*sys.argv[1:3])
print("run the tool" if allowed else f"blocked: {decision['reason']} {decision['link'] or ''}")
