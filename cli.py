"""The `kenning` command line."""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from kenning.config import Settings, load_settings
from kenning.errors import KenningError
from kenning.eval.cli import eval_app

app = typer.Typer(
    help="Kenning: answers from your organisation's own knowledge, with citations and the "
    "people who know.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(eval_app, name="eval")

KbOption = Annotated[
    Path | None,
    typer.Option("--kb", help="Knowledge base folder (default: $KENNING_HOME or ./.kenning)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings(kb: Path | None) -> Settings:
    try:
        return load_settings(home=kb)
    except KenningError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


def _open(kb: Path | None, create: bool = False, need_documents: bool = False):  # noqa: ANN202
    """The knowledge base `--kb` (or KENNING_HOME) names. Only `create` makes a new one; a
    missing one (or, with `need_documents`, an empty one) is an error that says where it
    looked (exit 1)."""
    from kenning.kb import DB_FILE, KnowledgeBase

    settings = _settings(kb)
    if not create and not (settings.home / DB_FILE).is_file():
        typer.secho(
            f"error: no knowledge base at {settings.home}; pass --kb DIR or set KENNING_HOME, "
            "or create one with `kenning ingest PATH --kb DIR`", fg="red", err=True,
        )  # fmt: skip
        raise typer.Exit(1)
    try:
        base = KnowledgeBase(settings.home, settings)
    except KenningError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    if need_documents and not base.stats()["documents"]:
        base.close()
        typer.secho(
            f"error: the knowledge base at {settings.home} holds no documents; add some with "
            "`kenning ingest PATH --kb DIR` (or pass --kb DIR / set KENNING_HOME to another)",
            fg="red", err=True,
        )  # fmt: skip
        raise typer.Exit(1)
    return base


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    kb: KbOption = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove documents whose source file is gone.")
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option(help="Force the kind: document, meeting, transcript or retrospective."),
    ] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="Group allowed to read (repeatable).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag to add (repeatable).")] = None,
    as_json: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary.")] = False,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Parse and embed on this Ray cluster: auto or HOST:PORT."),
    ] = None,
) -> None:
    """Ingest documents, meeting notes, transcripts and retrospectives.

    Unchanged files are skipped, changed files replace their old version, bad files are
    reported and skipped. Exit code 1 when any file failed.
    """
    from kenning.schema import KINDS

    if kind is not None and kind not in KINDS:
        typer.secho(f"error: --kind must be one of {', '.join(KINDS)}", fg="red", err=True)
        raise typer.Exit(2)
    with _open(kb, create=True) as base:
        options = dict(prune=prune, kind=kind, groups=group, tags=tag,
                       progress=not as_json and sys.stderr.isatty())  # fmt: skip
        if ray is None:
            report = base.ingest(paths, **options)
        else:
            from kenning.distributed.ingest import ingest_on_ray

            try:
                report = ingest_on_ray(base, paths, ray, **options)
            except KenningError as exc:
                typer.secho(f"error: {exc}", fg="red", err=True)
                raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        if not quiet:
            for file in report.files:
                if file.status in ("failed", "skipped") or file.reason:
                    colour = "red" if file.status == "failed" else "yellow"
                    typer.secho(f"{file.status:9} {file.path}: {file.reason}", fg=colour)
        for source in report.pruned:
            typer.echo(f"pruned    {source}")
        counts = report.to_dict()["counts"]
        typer.echo(
            f"{counts['added']} added, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['failed']} failed, "
            f"{counts['skipped']} skipped, {len(report.pruned)} pruned; "
            f"{report.chunks} chunks, {report.people} people, {report.seconds:.1f} s"
        )
        for line in report.advice:
            typer.secho(f"advice: {line}", fg="yellow")
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def watch(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to keep ingested.")],
    kb: KbOption = None,
    kind: Annotated[str | None, typer.Option(help="Force the kind (as for ingest).")] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="Group allowed to read (repeatable).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag to add (repeatable).")] = None,
) -> None:
    """Ingest PATHS, then re-ingest what changes under them until Ctrl-C.

    Changes are batched until the files are quiet; each batch runs the normal ingest on the
    paths it touched (unchanged files skipped) and removes the documents of deleted files.
    """
    from kenning.ingest.watch import Watcher
    from kenning.schema import KINDS, IngestReport

    if kind is not None and kind not in KINDS:
        typer.secho(f"error: --kind must be one of {', '.join(KINDS)}", fg="red", err=True)
        raise typer.Exit(2)

    def report_line(report: IngestReport) -> None:
        counts = report.to_dict()["counts"]
        changed = counts["added"] + counts["updated"] + counts["failed"] + len(report.pruned)
        if not changed:
            return
        for file in report.failed:
            typer.secho(f"failed    {file.path}: {file.reason}", fg="red")
        typer.echo(f"{time.strftime('%H:%M:%S')} {counts['added']} added, "
                   f"{counts['updated']} updated, {len(report.pruned)} removed, "
                   f"{counts['failed']} failed")  # fmt: skip

    with _open(kb, create=True) as base:
        ingest_paths = functools.partial(base.ingest, kind=kind, groups=group, tags=tag)
        watcher = Watcher(paths, ingest_paths, base.writer, ignore=[base.path],
                          on_report=report_line)  # fmt: skip
        typer.echo(f"watching {', '.join(map(str, paths))} for {base.path} (Ctrl-C to stop)")
        watcher.run()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    kb: KbOption = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many hits.")] = 5,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only this kind.")] = None,
    person: Annotated[str | None, typer.Option(help="Only documents of this person.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only with this tag.")] = None,
    team: Annotated[str | None, typer.Option(help="Only this team's documents.")] = None,
    since: Annotated[str | None, typer.Option(help="Updated on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Updated on or before (YYYY-MM-DD).")] = None,
    source: Annotated[str | None, typer.Option(help="Only sources under this path.")] = None,
    lang: Annotated[
        list[str] | None, typer.Option("--lang", help="Only passages in this language (fr, en).")
    ] = None,
    shards: Annotated[
        Path | None,
        typer.Option("--shards", help="Search the shards in this folder (`kenning shard`)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Search the knowledge base (hybrid dense + BM25, fused)."""
    filters = {
        key: value
        for key, value in {
            "kind": kind, "person": person, "tags": tag, "team": team,
            "date_from": since, "date_to": until, "source_prefix": source, "lang": lang,
        }.items()
        if value
    }  # fmt: skip
    with _open(kb, need_documents=True) if shards is None else _open_shards(shards) as base:
        try:
            hits = base.search(query, k=k, filters=filters)
        except ValueError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps({"hits": [h.to_dict() for h in hits]}, indent=2))
        return
    if not hits:
        typer.echo("no hits")
    for hit in hits:
        where = f" — {hit.location}" if hit.location else ""
        details = ", ".join(x for x in (hit.kind, hit.lang, f"{hit.score:.4f}") if x)
        typer.secho(f"[{hit.rank}] {hit.title}{where}  ({details})", bold=True)
        typer.echo(f"    {_relative(hit.source)}")
        snippet = " ".join(hit.text.split())
        typer.echo(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}")


def _open_shards(folder: Path):  # noqa: ANN202
    """The shards of a split, searched as one knowledge base (exit 2 when they are not)."""
    from kenning.distributed.search import ShardedKnowledgeBase

    try:
        return ShardedKnowledgeBase.open(folder, _settings(None))
    except (KenningError, OSError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


@app.command()
def shard(
    kb: KbOption = None,
    shards: Annotated[int, typer.Option("--shards", min=1, help="How many shards.")] = 2,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the shard-NN folders.")
    ] = Path("shards"),
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish the split as OUT's next snapshot and make "
                           "it current (servers of OUT switch to it).")
    ] = False,
    catch_up: Annotated[
        float, typer.Option("--catch-up", min=0, help="With --publish: seconds after the switch "
                            "during which questions served from the previous snapshot are "
                            "still copied into the new one.")
    ] = 5.0,
    as_json: JsonOption = False,
) -> None:
    """Split a knowledge base by document into shards, each an ordinary knowledge base;
    `kenning search --shards OUT` searches them as one."""
    from kenning.distributed.shards import split_knowledge_base
    from kenning.distributed.snapshots import publish_snapshot

    settings = _settings(kb)
    try:
        if publish:
            published = publish_snapshot(settings.home, out, shards, settings,
                                         catch_up_s=catch_up)  # fmt: skip
            summary = published["shards"]
        else:
            summary = split_knowledge_base(settings.home, shards, out, settings)
    except KenningError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(published if publish else {"shards": summary}, indent=2))
        return
    if publish:
        typer.echo(f"published snapshot {published['version']} of {out}")
    for part in summary:
        kept = " (unchanged: copied from the previous snapshot)" if part.get("copied") else ""
        typer.echo(f"{part['folder']}: {part['documents']} documents, {part['chunks']} chunks"
                   f"{kept}")  # fmt: skip


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in plain language.")],
    kb: KbOption = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Passages to retrieve.")] = 5,
    answerer: Annotated[
        str | None, typer.Option(help="extractive or llm (default: llm when configured).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question with citations, and name the people who know."""
    with _open(kb, need_documents=True) as base:
        try:
            response = base.ask(question, k=k, answerer=answerer)
        except (ValueError, ImportError) as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(response.to_dict(), indent=2))
        return
    typer.echo(response.answer)
    if response.citations:
        typer.echo("\nSources:")
        for c in response.citations:
            where = f" — {c.location}" if c.location else ""
            typer.echo(f"  [{c.n}] {c.title}{where}  ({_relative(c.source)})")
    _print_experts(response.experts[:3], "\nWho knows:")


def _print_experts(experts: list, heading: str) -> None:  # noqa: ANN001
    if not experts:
        return
    typer.echo(heading)
    for expert in experts:
        typer.echo(f"  {expert.name} ({expert.score:.2f}): {'; '.join(expert.reasons[:2])}")


@app.command()
def experts(
    topic: Annotated[str, typer.Argument(help="A question or topic.")],
    kb: KbOption = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many people.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Rank the people who know most about a topic, with reasons and evidence."""
    with _open(kb, need_documents=True) as base:
        try:
            ranked = base.experts(topic, k=k)
        except ValueError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps({"experts": [e.to_dict() for e in ranked]}, indent=2))
        return
    if not ranked:
        typer.echo("nobody found")
    _print_experts(ranked, f"Who knows about “{topic}”:")


@app.command()
def serve(
    kb: KbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    watch: Annotated[
        list[Path] | None,
        typer.Option("--watch", help="Keep this file or folder ingested (repeatable)."),
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Serve the API through Ray Serve on this cluster: auto or "
                     "HOST:PORT (no UI)."),
    ] = None,
    shards: Annotated[
        Path | None,
        typer.Option("--shards", help="With --ray: serve the shards in this folder "
                     "(`kenning shard`) instead of --kb."),
    ] = None,
    replicas: Annotated[
        int, typer.Option("--replicas", min=1, help="With --ray: replicas of each shard and "
                          "of the server."),
    ] = 1,
    min_replicas: Annotated[
        int | None, typer.Option("--min-replicas", min=1, help="With --ray and --max-replicas: "
                                 "the fewest replicas autoscaling keeps (default 1)."),
    ] = None,
    max_replicas: Annotated[
        int | None, typer.Option("--max-replicas", min=1, help="With --ray: autoscale each "
                                 "shard and the server up to this many replicas."),
    ] = None,
) -> None:
    """Serve the HTTP API (and the UI) on HOST:PORT."""
    settings = _settings(kb)
    if ray is None and shards is None:
        _serve_here(settings, host, port, watch or [])
        return
    from kenning.api.app import create_app

    if ray is not None:
        if watch:
            typer.secho("error: --watch is not served with --ray (shards are read-only)",
                        fg="red", err=True)  # fmt: skip
            raise typer.Exit(2)
        _serve_on_ray(ray, settings, shards, (replicas, min_replicas, max_replicas), host, port,
                      create_app)  # fmt: skip
        return
    typer.secho("error: --shards is served with --ray", fg="red", err=True)
    raise typer.Exit(2)


def _serve_here(settings: Settings, host: str, port: int, watch: list[Path]) -> None:
    """`kenning serve` on this machine. The knowledge base loads its models and index in a
    thread while the server's own modules import: the first answer comes ~0.2 s sooner."""
    import threading

    import uvicorn

    from kenning.kb import KnowledgeBase

    try:
        base = KnowledgeBase(settings.home, settings)
    except KenningError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    failures: list[BaseException] = []

    def warm() -> None:
        try:
            base.warm()
        except BaseException as exc:  # noqa: BLE001 (re-raised below, in the main thread)
            failures.append(exc)

    warming = threading.Thread(target=warm, name="kenning-warm", daemon=True)
    warming.start()
    from kenning.api.app import create_app

    warming.join()
    try:
        if failures:
            raise failures[0]
        application = create_app(kb=base, owns_kb=True, warm=False, ui_in_background=True,
                                 watch=watch)  # fmt: skip
    except KenningError as exc:
        base.close()
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Kenning is serving {settings.home} on http://{host}:{port}  (API docs: /docs)")
    for line in _exposure_notes(settings, host):
        typer.secho(line, fg="yellow", err=True)
    uvicorn.run(application, host=host, port=port, log_level="warning")


def _serve_on_ray(
    address: str, settings: Settings, shards: Path | None,
    counts: tuple[int, int | None, int | None], host: str, port: int,
    create_app: Any,  # noqa: ANN401
) -> None:  # fmt: skip
    """Deploy the server on Ray Serve and keep it until Ctrl-C (then delete it)."""
    from kenning.distributed.serving import serve_on_ray

    replicas, low, high = counts
    try:
        served = serve_on_ray(address, shards, create_app, kb=settings.home, replicas=replicas,
                              min_replicas=low, max_replicas=high, host=host, port=port,
                              settings=settings)  # fmt: skip
    except (KenningError, OSError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    what = shards if shards is not None else settings.home
    typer.echo(f"Kenning is serving {what} through Ray Serve on {served.url}  "
               f"({len(served.shard_apps)} shard(s), "
               f"{replicas if high is None else f'{low or 1}-{high}'} replica(s) each; "
               "Ctrl-C stops)")
    for line in _exposure_notes(settings, host):
        typer.secho(line, fg="yellow", err=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a service manager's stop deletes them too
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        served.delete()
        typer.echo("Stopped: the applications are deleted from the cluster.")


@app.command()
def mcp(kb: KbOption = None) -> None:
    """Serve the MCP server over stdio, for desktop assistants and editors (tools: search,
    ask, experts, get_document; documents as resources). `kenning serve` also offers it over
    HTTP at /mcp, behind the API keys."""
    from kenning.api.mcp import create_mcp_server

    base = _open(kb)
    try:
        create_mcp_server(base.qa).run("stdio")
    finally:
        base.close()


def _exposure_notes(settings: Settings, host: str) -> list[str]:
    """What someone serving beyond loopback should know: which host names are answered, and
    that without keys every caller is admin."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return []
    notes = []
    if "*" not in settings.allowed_hosts:
        notes.append(
            "Requests must name this server by its IP address or one of KENNING_ALLOWED_HOSTS "
            f"({', '.join(settings.allowed_hosts)}); others get 400. To serve other names, set "
            """e.g. KENNING_ALLOWED_HOSTS='["kenning.example.com"]'."""
        )
    if not settings.api_keys:
        notes.append("No KENNING_API_KEYS: everyone who can reach this server may read, add "
                     "and delete every document.")  # fmt: skip
    return notes


@app.command()
def stats(kb: KbOption = None, as_json: JsonOption = False) -> None:
    """Counts of documents by kind, chunks and people."""
    with _open(kb) as base:
        data = base.stats()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    kinds = ", ".join(f"{n} {kind}" for kind, n in data["documents_by_kind"].items())
    typer.echo(f"{data['documents']} documents ({kinds}); {data['chunks']} chunks; "
               f"{data['people']} people")  # fmt: skip


@app.command()
def bench(
    data: Annotated[
        Path, typer.Option(help="The shared data folder (QMSum, minutes, post-mortems, KEPs).")
    ] = Path("../shared/data"),
    max_files: Annotated[
        int | None, typer.Option(help="Ingest at most this many files (default: all).")
    ] = None,
    pdf: Annotated[bool, typer.Option(help="Also ingest the SEC 10-Q PDFs.")] = False,
    sizes: Annotated[
        str, typer.Option(help="Knowledge-base sizes (chunks) for search/ask latency.")
    ] = "10000,100000",
    questions: Annotated[int, typer.Option(help="Questions timed per size and filter.")] = 100,
    ann_size: Annotated[
        int, typer.Option(help="Vectors for the approximate-index step (0: skip it).")
    ] = 1_000_000,
    server: Annotated[bool, typer.Option(help="Measure the server on loopback.")] = True,
    clients: Annotated[int, typer.Option(help="Concurrent clients for the server.")] = 8,
    load_seconds: Annotated[float, typer.Option(help="Seconds of concurrent load.")] = 30.0,
    steps: Annotated[
        str, typer.Option(help="Steps to run, of ingest,latency,server,ann.")
    ] = "ingest,latency,server,ann",
    kb: Annotated[
        Path | None,
        typer.Option("--kb", help="Without the ingest step: a knowledge base to measure (copied)."),
    ] = None,
    workdir: Annotated[
        Path | None, typer.Option(help="Keep the benchmark's files here (default: a temp dir).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the tables here.")] = None,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="With the ingest step: also ingest the same files on this Ray "
                     "cluster (auto or HOST:PORT) and compare; with the server step too, serve "
                     "that knowledge base in 2 shards through Ray Serve and load both."),
    ] = None,
) -> None:
    """Measure ingestion (against LangChain), latency at scale, the ANN index and the server."""
    from kenning.bench.runner import BenchOptions, run

    options = BenchOptions(
        data=data, max_files=max_files, pdf=pdf, questions=questions, ann_size=ann_size,
        sizes=[int(s) for s in sizes.split(",") if s.strip()], server=server,
        clients=clients, load_seconds=load_seconds, kb=kb, workdir=workdir, ray=ray,
        steps=tuple(s.strip() for s in steps.split(",") if s.strip()),
    )  # fmt: skip
    try:
        report = run(options)
    except FileNotFoundError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(report)
    if out:
        out.write_text(report + "\n", encoding="utf-8")


def _relative(source: str) -> str:
    try:
        return os.path.relpath(source)
    except ValueError:
        return source


def main() -> None:
    """Entry point for `python -m kenning`."""
    logging.basicConfig(level=os.environ.get("KENNING_LOG_LEVEL", "WARNING"))
    app()


if __name__ == "__main__":
    main()
