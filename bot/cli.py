"""The `protocolbot` command: review drafts, score labelled sets, check knowledge, benchmark."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.schema import PLATFORMS, ROLES, Organisation

EXIT_OK, EXIT_BAD_INPUT, EXIT_BAD_KNOWLEDGE = 0, 1, 2


@dataclass(frozen=True)
class Draft:
    id: str
    text: str
    role: str = "employee"
    platform: str = "other"
    label: dict[str, Any] | None = None


class InputError(Exception):
    """A line of input that cannot be judged; the message names where and what."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.run(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="protocolbot",
        description="Advice on draft social-media posts against the 15-rule protocol.",
    )
    sub = parser.add_subparsers(dest="command")

    review = sub.add_parser(
        "review", help="review a draft (TEXT, or standard input) or a JSONL file"
    )
    review.add_argument(
        "input", nargs="?", help="the draft text; with --format jsonl a file (- for stdin)"
    )
    review.add_argument("--org", type=Path, help="organisation profile (default: the knowledge's)")
    review.add_argument("--role", choices=ROLES, default="employee")
    review.add_argument("--platform", choices=PLATFORMS, default="other")
    review.add_argument("--format", choices=("text", "json", "jsonl"), default="text")
    review.add_argument(
        "--lang", choices=("nl", "en"), help="answer language (default: the draft's)"
    )
    review.add_argument("--knowledge", type=Path, help="knowledge directory")
    review.set_defaults(run=_run_review)

    evaluate = sub.add_parser("eval", help="score labelled drafts with the rubric's metrics")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--org", type=Path)
    evaluate.add_argument("--knowledge", type=Path)
    evaluate.add_argument(
        "--second-opinion",
        action="store_true",
        help="also ask the language model ($PROTOCOLBOT_LLM_URL …) and print both scores",
    )
    evaluate.set_defaults(run=_run_eval)

    knowledge = sub.add_parser("knowledge", help="work with the knowledge files")
    ksub = knowledge.add_subparsers(dest="knowledge_command", required=True)
    check = ksub.add_parser("check", help="validate the knowledge and run the golden examples")
    check.add_argument("directory", nargs="?", type=Path)
    check.set_defaults(run=_run_check)

    rules = sub.add_parser("rules", help="show the protocol's rules, with the organisation's name")
    rules.add_argument("number", nargs="?", type=int, choices=range(1, 16), metavar="N")
    rules.add_argument("--org", type=Path)
    rules.add_argument("--lang", choices=("nl", "en"), default="nl")
    rules.add_argument("--knowledge", type=Path)
    rules.set_defaults(run=_run_rules)

    chat = sub.add_parser("chat", help="talk to the bot in this terminal (or pipe a dialogue in)")
    chat.add_argument("--database", help="store URL (default: $PROTOCOLBOT_DATABASE_URL or SQLite)")
    chat.add_argument("--user", default="me", help="your user id in the conversation")
    chat.add_argument("--lang", choices=("nl", "en"), default="nl")
    chat.add_argument("--knowledge", type=Path)
    chat.set_defaults(run=_run_chat)

    serve = sub.add_parser(
        "serve", help="run the Slack and/or Teams adapter (configured by environment)"
    )
    serve.add_argument("--host", help="address to listen on (default: $PROTOCOLBOT_HOST, 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port (default: $PORT, 3000)")
    serve.add_argument(
        "--database", help="store URL (default: $PROTOCOLBOT_DATABASE_URL or SQLite)"
    )
    serve.add_argument("--knowledge", type=Path)
    serve.set_defaults(run=_run_serve)

    load = sub.add_parser(
        "loadtest", help="drive `serve` (Slack) with signed DM events at a set rate and report"
    )
    from adapters.slack.loadtest import add_arguments as add_loadtest_arguments

    add_loadtest_arguments(load)
    load.set_defaults(run=_run_loadtest)

    config = sub.add_parser("config", help="check the server's configuration")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    config_check = config_sub.add_parser(
        "check", help="print the effective configuration (secrets masked) and every problem"
    )
    config_check.add_argument(
        "--env-file", type=Path, help="default: $PROTOCOLBOT_ENV_FILE or ./.env"
    )
    config_check.set_defaults(run=_run_config_check)

    package = sub.add_parser(
        "teams-package", help="build the Teams app package (manifest.json + icons, zipped)"
    )
    package.add_argument("--app-id", help="the bot's Application (client) ID ($MICROSOFT_APP_ID)")
    package.add_argument(
        "--organisation",
        help="the name Teams shows as the app's publisher (default: the profile's)",
    )
    package.add_argument(
        "--website", required=True, help="https page about the app (your intranet's, say)"
    )
    package.add_argument(
        "--privacy", default="", help="https privacy statement (default: --website)"
    )
    package.add_argument("--terms", default="", help="https terms of use (default: --website)")
    package.add_argument("--app-version", default="1.0.0", help="raise it for every update (1.0.1)")
    package.add_argument("--out", type=Path, default=Path("protocolbot-teams.zip"))
    package.add_argument("--knowledge", type=Path)
    package.set_defaults(run=_run_teams_package)

    bench = sub.add_parser("bench", help="measure review speed and knowledge load time")
    bench.add_argument("--org", type=Path)
    bench.add_argument("--knowledge", type=Path)
    bench.add_argument("--rounds", type=int, default=20, help="passes over the dev drafts")
    bench.add_argument(
        "--database", help="store for the conversation turns (default: a temporary SQLite file)"
    )
    bench.add_argument(
        "--teams",
        action="store_true",
        help="also time Teams requests through the real /api/messages endpoint (loopback)",
    )
    bench.add_argument("files", nargs="*", type=Path, help="JSONL drafts (default: shared/eval)")
    bench.set_defaults(run=_run_bench)
    return parser


# -- loading ----------------------------------------------------------------------------------


def _load(args) -> tuple[Any, Organisation] | None:
    """Knowledge and profile, or None after printing every problem."""
    from bot.knowledge.errors import KnowledgeInvalid
    from bot.knowledge.loader import load_knowledge, load_organisation

    try:
        knowledge = load_knowledge(args.knowledge)
        profile = knowledge.organisation
        if args.org:
            profile, warnings = load_organisation(args.org, strict=False)
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
    except KnowledgeInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(
            f"{len(exc.errors)} problem(s) in the knowledge or profile; nothing reviewed.",
            file=sys.stderr,
        )
        return None
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return None
    return knowledge, profile


def read_drafts(path: Path | None) -> Iterator[Draft | InputError]:
    """JSONL drafts from a file or stdin; a bad line yields an InputError naming it."""
    name = "<stdin>" if path is None or str(path) == "-" else str(path)
    data = sys.stdin.buffer.read() if name == "<stdin>" else Path(path).read_bytes()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            yield _draft(raw, f"{name}:{number}")
        except InputError as exc:
            yield exc


def _draft(raw: bytes, where: str) -> Draft:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not valid UTF-8 (byte {exc.start + 1} of the line)") from None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object with 'id' and 'text'")
    draft_id = obj.get("id")
    if not isinstance(draft_id, str | int) or isinstance(draft_id, bool) or draft_id == "":
        raise InputError(f"{where}: 'id' is missing or not a string")
    text = obj.get("text")
    if not isinstance(text, str):
        raise InputError(f"{where}: draft {draft_id!r}: 'text' is missing or not a string")
    role = obj.get("role") or "employee"
    if role not in ROLES:
        raise InputError(
            f"{where}: draft {draft_id!r}: unknown role {role!r}; one of {', '.join(ROLES)}"
        )
    platform = obj.get("platform") or "other"
    if platform not in PLATFORMS:
        raise InputError(
            f"{where}: draft {draft_id!r}: unknown platform {platform!r}; "
            f"one of {', '.join(PLATFORMS)}"
        )
    label = {k: obj[k] for k in ("verdict", "rules") if k in obj} or None
    return Draft(str(draft_id), text, role, platform, label)


# -- commands ---------------------------------------------------------------------------------


def _run_review(args) -> int:
    from bot.render import review_json, review_text
    from bot.review import Engine

    loaded = _load(args)
    if loaded is None:
        return EXIT_BAD_KNOWLEDGE
    knowledge, profile = loaded
    engine = Engine(knowledge)
    if args.format == "jsonl":
        bad = 0
        for item in read_drafts(Path(args.input) if args.input else None):
            if isinstance(item, InputError):
                print(item, file=sys.stderr)
                bad += 1
                continue
            result = engine.review(
                item.text, profile=profile, role=item.role, platform=item.platform
            )
            print(
                json.dumps(review_json(result, draft_id=item.id), ensure_ascii=False), flush=False
            )
        if bad:
            print(f"{bad} line(s) could not be judged; the others were.", file=sys.stderr)
        return EXIT_BAD_INPUT if bad else EXIT_OK
    text = args.input
    if text is None:
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            print(f"<stdin>: not valid UTF-8 (byte {exc.start + 1})", file=sys.stderr)
            return EXIT_BAD_INPUT
    result = engine.review(text, profile=profile, role=args.role, platform=args.platform)
    if args.format == "json":
        out = review_json(result)
        opinion = _second_opinion_for(text, result, knowledge, profile, args.role)
        if opinion is None:
            return EXIT_BAD_INPUT
        out["second_opinion"] = opinion.as_json()
        if opinion.status == "ok":
            from bot.second_opinion import merged_verdict

            out["second_opinion"]["merged_verdict"] = merged_verdict(result.verdict, opinion)
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(review_text(result, knowledge, lang=args.lang))
    return EXIT_OK


def _llm(required: bool = False):
    """The configured second opinion client; None (after a message) when misconfigured, or
    when `required` and not configured; False when simply not configured."""
    import os

    from bot.second_opinion import SecondOpinion, config_from_env

    config, problem = config_from_env(os.environ)
    if problem or (config is None and required):
        print(
            f"protocolbot: {problem or 'set PROTOCOLBOT_LLM_URL (and _MODEL, _API_KEY) first'}",
            file=sys.stderr,
        )
        return None
    return SecondOpinion(config) if config else False


def _second_opinion_for(text: str, review, knowledge, profile, role: str):
    """The second opinion's outcome for `review --format json` ('off' unless the endpoint is
    configured and the profile switched it on); None after a configuration error."""
    import asyncio

    from bot.second_opinion import OFF

    client = _llm()
    if client is None:
        return None
    if client is False or not profile.second_opinion:
        return OFF
    return asyncio.run(client.ask(text, review, knowledge, profile, role))


def _run_eval(args) -> int:
    from bot.evaluate import Judged, report, score
    from bot.review import Engine

    loaded = _load(args)
    if loaded is None:
        return EXIT_BAD_KNOWLEDGE
    knowledge, profile = loaded
    engine = Engine(knowledge)
    judged: list[Judged] = []
    drafts: list = []
    bad = 0
    for item in read_drafts(args.file):
        if isinstance(item, InputError):
            print(item, file=sys.stderr)
            bad += 1
            continue
        if not item.label or item.label.get("verdict") not in ("go", "caution", "stop"):
            print(f"{args.file}: draft {item.id!r} has no valid 'verdict' label", file=sys.stderr)
            bad += 1
            continue
        result = engine.review(item.text, profile=profile, role=item.role, platform=item.platform)
        judged.append(
            Judged(
                item.id,
                item.label["verdict"],
                frozenset(item.label.get("rules") or ()),
                result.verdict,
                frozenset(result.rules),
            )
        )
        drafts.append((item, result))
    if not args.second_opinion:
        print(report(score(judged)))
        return EXIT_BAD_INPUT if bad else EXIT_OK
    client = _llm(required=True)
    if not client:
        return EXIT_BAD_INPUT
    from bot.evaluate import side_by_side

    with_model, statuses = _with_second_opinion(client, drafts, judged, knowledge, profile)
    print(side_by_side(score(judged), score(with_model), statuses))
    return EXIT_BAD_INPUT if bad else EXIT_OK


def _with_second_opinion(client, drafts, judged, knowledge, profile):
    """Every draft also through the model (four at a time); the merged judgements and how
    many answers were ok, unavailable or rejected."""
    import asyncio
    from collections import Counter
    from dataclasses import replace

    from bot.second_opinion import merged_verdict

    async def all_of_them():
        gate = asyncio.Semaphore(4)

        async def one(item, result):
            async with gate:
                return await client.ask(item.text, result, knowledge, profile, item.role)

        return await asyncio.gather(*(one(item, result) for item, result in drafts))

    opinions = asyncio.run(all_of_them())
    merged = []
    for judgement, (_, result), opinion in zip(judged, drafts, opinions, strict=True):
        verdict = merged_verdict(result.verdict, opinion)
        rules = judgement.rules | frozenset(opinion.rules if opinion.status == "ok" else ())
        merged.append(replace(judgement, verdict=verdict, rules=rules))
    return merged, Counter(o.status for o in opinions)


def _run_check(args) -> int:
    from bot.knowledge.check import run_check
    from bot.knowledge.loader import default_knowledge_dir

    return run_check(args.directory or default_knowledge_dir())


def _run_rules(args) -> int:
    loaded = _load(args)
    if loaded is None:
        return EXIT_BAD_KNOWLEDGE
    knowledge, profile = loaded
    numbers = [args.number] if args.number else sorted(knowledge.rules)
    for number in numbers:
        rule = knowledge.rules[number]
        print(f"{number}. {rule.title.get(args.lang)}")
        print(f"   {rule.text_for(profile.name, args.lang)}")
        if args.number:
            print(f"\n   {rule.explanation.get(args.lang)}")
            for case_id in rule.cases:
                case = knowledge.cases[case_id]
                print(f"   - {case.title.get(args.lang)} ({case.date}; {case.source.title})")
            checked = [s.id for s in knowledge.signals if number in (s.rule, *s.also)]
            if checked:
                print(f"\n   signals: {', '.join(checked)}")
    return EXIT_OK


def _run_chat(args) -> int:
    from adapters.console.app import main as chat_main

    return chat_main(
        database=args.database, user=args.user, locale=args.lang, knowledge=args.knowledge
    )


def _run_loadtest(args) -> int:
    from adapters.slack.loadtest import run

    return run(args)


def _run_config_check(args) -> int:
    from adapters.serve import check, describe, environment

    env, sources = environment(args.env_file)
    for line in describe(env, sources):
        print(line)
    _, problems = check(env)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        return EXIT_BAD_INPUT
    print("configuration OK")
    return EXIT_OK


def _run_serve(args) -> int:
    from adapters import serve
    from bot import logs
    from bot.conversation import Bot
    from bot.knowledge.errors import KnowledgeInvalid
    from bot.source import KnowledgeSource
    from bot.store import open_store

    env, _ = serve.environment()
    config, problems = serve.check(env)
    if config is None:
        for problem in problems:
            print(f"protocolbot serve: {problem}.", file=sys.stderr)
        print(
            "See README 'Install in Slack' / 'Install in Teams'; check everything with: "
            "protocolbot config check",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    settings = config.settings
    salt = settings.log_salt.get_secret_value() if settings.log_salt else None
    logs.configure(settings.log_level, settings.log_format, salt)
    knowledge_dir = args.knowledge or settings.knowledge_dir
    try:
        source = KnowledgeSource(knowledge_dir)
    except KnowledgeInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(
            f"protocolbot serve: {len(exc.errors)} problem(s) in the knowledge; not started.",
            file=sys.stderr,
        )
        return EXIT_BAD_KNOWLEDGE
    database = args.database or (
        settings.database_url.get_secret_value() if settings.database_url else None
    )
    try:
        store = open_store(database)
    except (ValueError, OSError) as exc:
        print(f"protocolbot serve: cannot open the store: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from bot.second_opinion import SecondOpinion

    bot = Bot(source, store, llm=SecondOpinion(config.llm) if config.llm else None)
    application = serve.build(config, bot, store, source)
    host = args.host or settings.host
    port = args.port or settings.port
    platforms = []
    if config.slack is not None:
        platforms.append("slack socket mode" if config.slack.app_token else "slack /slack/events")
    if config.teams is not None:
        platforms.append(
            "teams /api/messages"
            + (" ANONYMOUS (no token check)" if config.teams.allow_anonymous else "")
        )
    print(
        f"protocolbot: serving on http://{host}:{port} ({', '.join(platforms)}; "
        "/healthz /readyz /metrics)",
        file=sys.stderr,
    )
    serve.log.info(
        "serving",
        extra={"version": source.current.knowledge.version, "route": ", ".join(platforms)},
    )
    serve.run(config, application, bot, host, port)
    return EXIT_OK


def _run_teams_package(args) -> int:
    import os

    from adapters.teams.package import PackageError, PackageSettings, build

    organisation = args.organisation
    if not organisation:
        args.org = None
        loaded = _load(args)
        if loaded is None:
            return EXIT_BAD_KNOWLEDGE
        organisation = loaded[1].name
    settings = PackageSettings(
        app_id=args.app_id or os.environ.get("MICROSOFT_APP_ID", ""),
        organisation=organisation,
        website=args.website,
        privacy=args.privacy,
        terms=args.terms,
        version=args.app_version,
    )
    try:
        out = build(settings, args.out)
    except PackageError as exc:
        print(f"protocolbot teams-package: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        f"{out}: upload it in Teams (Apps > Manage your apps > Upload an app) or the admin center"
    )
    return EXIT_OK


def _run_bench(args) -> int:
    from bot.bench import run_bench

    return run_bench(args)


if __name__ == "__main__":
    sys.exit(main())
