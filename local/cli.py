"""``composer``: compose and train from a terminal, against ``make dev`` or a deployed API.

    composer melodies upload tune.mid
    composer compose <melody-id or file.mid> --model bach-chorales --out song.mid
    composer compositions; composer rename <composition-id> "Evening"; composer delete <composition-id>
    composer share <composition-id>; composer unshare <composition-id>
    composer melodies from-composition <composition-id> --track 0; composer melodies edit <id> --notes n.json
    composer compose tune.mid --model ar-cnn-bach --param mode=harmonize --param temperature=0.8
    composer models; composer model-types
    composer train --name my-bach --tags bach --epochs 5 --watch
    composer train --type transformer --name my-folk --tags collection:ryans-mammoth --hp layers=2
    composer --api-url https://xyz.execute-api.eu-west-1.amazonaws.com/prod --token "$ID_TOKEN" models

The API URL comes from ``--api-url``, else ``COMPOSER_API_URL``, else the local runtime on
``127.0.0.1:${PORT:-8000}``. Locally ``--user`` picks who you are (any name; each sees only their own).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from local.client import ApiError, ComposerClient, default_api_url
from shared.music.audio import AudioFormat

app = typer.Typer(help="Compose and train with the Composer backend.", no_args_is_help=True, add_completion=False)
melodies_app = typer.Typer(
    help="Upload, list, rename, edit and delete melodies; make one from a composition's track.", no_args_is_help=True
)
app.add_typer(melodies_app, name="melodies")

console = Console()
err = Console(stderr=True)


def _client(ctx: typer.Context) -> ComposerClient:
    return ctx.obj


@app.callback()
def main(
    ctx: typer.Context,
    api_url: Annotated[str, typer.Option("--api-url", envvar="COMPOSER_API_URL", help="The API's base URL.")] = "",
    user: Annotated[
        str, typer.Option("--user", envvar="COMPOSER_USER", help="Local runtime only: the user to act as.")
    ] = "",
    token: Annotated[
        str, typer.Option("--token", envvar="COMPOSER_TOKEN", help="A Cognito ID token, for a deployed API.")
    ] = "",
) -> None:
    ctx.obj = ComposerClient(api_url or default_api_url(), user=user or None, token=token or None)
    ctx.call_on_close(ctx.obj.close)


def _fail(exc: ApiError) -> typer.Exit:
    err.print(f"[red]Error[/red] {exc.code} ({exc.status}): {exc.message}")
    return typer.Exit(code=1)


def _table(*columns: str, title: str | None = None) -> Table:
    """A table whose first column (the id users copy into the next command) is never cut."""
    table = Table(title=title)
    for index, name in enumerate(columns):
        if index == 0:
            table.add_column(name, no_wrap=True, overflow="fold", min_width=len(name))
        else:
            table.add_column(name, overflow="fold")
    return table


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def parse_assignments(values: list[str] | None, option: str) -> dict[str, Any]:
    """``["mode=harmonize", "temperature=0.8"]`` -> ``{"mode": "harmonize", "temperature": 0.8}``: a value
    that reads as JSON (a number, true, null) is taken as such, anything else as a string."""
    out: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} is not name=value", param_hint=option)
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


def knobs_text(schema: dict[str, Any] | None) -> str:
    """One line per knob of a JSON Schema: ``name=default (range or choices)``; conditional ranges are
    shown by their condition, e.g. ``threshold=20 (topK: 1-128; nucleus: 0.1-1)``."""
    if not schema or not schema.get("properties"):
        return "-"
    conditional: dict[str, list[str]] = {}
    for branch in schema.get("allOf", []):
        (when,) = branch["if"]["properties"].values()
        for name, rule in branch["then"]["properties"].items():
            shown = "n/a" if rule is False else _range(rule)
            conditional.setdefault(name, []).append(f"{when['const']}: {shown}")
    lines = []
    for name, prop in schema["properties"].items():
        default = f"={prop['default']}" if "default" in prop else ""
        detail = "; ".join(conditional[name]) if name in conditional else _range(prop)
        lines.append(f"{name}{default} ({detail})")
    return "\n".join(lines)


def _range(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return "|".join(str(v) for v in prop["enum"])
    low = prop.get("minimum", prop.get("exclusiveMinimum"))
    high = prop.get("maximum")
    if low is None and high is None:
        return str(prop.get("type", "any"))
    return f"{_number(low)}-{_number(high)}"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --- melodies ---------------------------------------------------------------------------------


@melodies_app.command("upload")
def melodies_upload(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A .mid file.")],
    name: Annotated[str, typer.Option(help="Display name (default: the file name).")] = "",
) -> None:
    """Upload a one-track MIDI melody (at most 8 bars, static tempo)."""
    try:
        melody = _client(ctx).upload_melody(file.read_bytes(), name or file.stem)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"[green]Uploaded[/green] {melody['id']}: {melody.get('bars')} bars, {melody.get('noteCount')} notes")


@melodies_app.command("list")
def melodies_list(ctx: typer.Context) -> None:
    """Your melodies and the built-in samples."""
    try:
        items = _client(ctx).melodies()
    except ApiError as exc:
        raise _fail(exc) from exc
    table = _table("id", "name", "bars", "notes", "tempo", "built-in")
    for m in items:
        table.add_row(
            m["id"],
            m.get("name", ""),
            _fmt(m.get("bars")),
            _fmt(m.get("noteCount")),
            _fmt(m.get("tempo"), 0),
            "yes" if m.get("builtin") else "",
        )
    console.print(table)


@melodies_app.command("rename")
def melodies_rename(
    ctx: typer.Context,
    melody_id: Annotated[str, typer.Argument(help="One of your melody ids.")],
    name: Annotated[str, typer.Argument(help="The new name (1-100 characters).")],
) -> None:
    """Rename one of your melodies (the built-in samples keep theirs)."""
    try:
        melody = _client(ctx).rename_melody(melody_id, name)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Melody {melody['id']} is now [bold]{melody['name']}[/bold]")


def read_notes_file(path: Path) -> dict[str, Any]:
    """A notes file: ``{"notes": [{pitch, start, duration, velocity}], "tempo"?, "timeSignature"?}``
    (start and duration in beats), or just the list of notes."""
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise typer.BadParameter(f"{path} is not JSON: {exc}", param_hint="--notes") from exc
    if isinstance(data, list):
        data = {"notes": data}
    if not isinstance(data, dict) or not isinstance(data.get("notes"), list):
        raise typer.BadParameter(f"{path} has no list of notes", param_hint="--notes")
    return data


@melodies_app.command("edit")
def melodies_edit(
    ctx: typer.Context,
    melody_id: Annotated[str, typer.Argument(help="One of your melody ids.")],
    notes: Annotated[
        Path,
        typer.Option(
            "--notes",
            exists=True,
            dir_okay=False,
            readable=True,
            help='JSON: {"notes": [{"pitch": 60, "start": 0, "duration": 1, "velocity": 90}, ...], '
            '"tempo": 100, "timeSignature": "3/4"} (beats; tempo and meter optional) or just the list.',
        ),
    ],
) -> None:
    """Replace a melody's notes. Compositions made from the earlier version keep theirs."""
    try:
        melody = _client(ctx).edit_melody_notes(melody_id, read_notes_file(notes))
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(
        f"[green]Edited[/green] {melody['id']} (version {melody.get('version')}): "
        f"{melody.get('bars')} bars, {melody.get('noteCount')} notes"
    )


@melodies_app.command("from-composition")
def melodies_from_composition(
    ctx: typer.Context,
    composition_id: Annotated[str, typer.Argument(help="One of your COMPLETED compositions.")],
    track: Annotated[
        int, typer.Option("--track", "-t", help="The track's index (0 = melody; see `composer compositions`).")
    ] = 0,
    name: Annotated[str, typer.Option(help="Name of the new melody (default: composition and track).")] = "",
) -> None:
    """Make one track of a composition a melody (up to 48 bars), e.g. to accompany a Transformer's
    continuation with the GAN: `composer compose <new-melody-id> --model bach-chorales`."""
    try:
        melody = _client(ctx).melody_from_composition(composition_id, track, name or None)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(
        f"[green]Made melody[/green] {melody['id']} ({melody['name']}): {melody.get('bars')} bars, "
        f"{melody.get('noteCount')} notes"
    )


@melodies_app.command("delete")
def melodies_delete(
    ctx: typer.Context, melody_id: Annotated[str, typer.Argument(help="One of your melody ids.")]
) -> None:
    """Delete one of your melodies (compositions made from it stay)."""
    try:
        _client(ctx).delete_melody(melody_id)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Deleted melody {melody_id}")


# --- composing --------------------------------------------------------------------------------


@app.command()
def compose(
    ctx: typer.Context,
    melody: Annotated[str, typer.Argument(help="A melody id, or a .mid file to upload first.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model id (see `composer models`).")] = "bach-chorales",
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the 4-track MIDI.")] = Path("song.mid"),
    seed: Annotated[int | None, typer.Option(help="Fix the random seed to get the same result again.")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A model knob as name=value, repeatable (see `composer models`)."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 600,
    audio: Annotated[
        bool, typer.Option("--audio", help="Also save the audio beside the MIDI (song.wav, or .mp3 with --format mp3).")
    ] = False,
    audio_format: Annotated[
        AudioFormat, typer.Option("--format", help="The audio format for --audio.")
    ] = AudioFormat.WAV,
) -> None:
    """Compose with a model (accompany, enhance, harmonize or extend a melody) and save the result as MIDI."""
    client = _client(ctx)
    parameters = parse_assignments(param, "--param")
    try:
        path = Path(melody)
        if path.suffix.lower() in (".mid", ".midi") and path.is_file():
            melody = client.upload_melody(path.read_bytes(), path.stem)["id"]
            console.print(f"Uploaded {path} as melody {melody}")
        started = client.compose(melody, model, seed, parameters)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
        ) as progress:
            task = progress.add_task(f"Composing {started['id']}", total=None)
            result = client.wait_composition(
                started["id"],
                timeout=timeout,
                on_update=lambda c: progress.update(task, description=f"Composing {c['id']}: {c['status']}"),
            )
        if result["status"] != "COMPLETED":
            err.print(f"[red]Composition {result['id']} {result['status']}[/red]: {result.get('failureReason', '')}")
            raise typer.Exit(code=1)
        out.write_bytes(client.composition_midi(result["id"]))
        if audio:
            sound = out.with_suffix(f".{audio_format.value}")
            sound.write_bytes(client.composition_audio(result["id"], audio_format.value))
            console.print(f"Wrote {sound}")
    except ApiError as exc:
        raise _fail(exc) from exc
    except TimeoutError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    tracks = ", ".join(f"{t.get('name')} ({t.get('noteCount')} notes)" for t in result.get("tracks", []))
    console.print(f"[green]Composed[/green] {result['id']}: {result.get('bars')} bars; {tracks}")
    if result.get("parameters"):
        console.print("Parameters: " + ", ".join(f"{k}={v}" for k, v in result["parameters"].items()))
    console.print(f"Wrote {out}")


@app.command()
def play(
    ctx: typer.Context,
    composition_id: Annotated[str, typer.Argument(help="A composition id.")],
    audio_format: Annotated[
        AudioFormat, typer.Option("--format", help="wav (16-bit, 44.1 kHz) or mp3.")
    ] = AudioFormat.WAV,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write it (default <id>.wav/.mp3).")] = None,
) -> None:
    """Save a composition's audio (General MIDI synthesizer, TimGM6mb SoundFont) to play in any player."""
    target = out or Path(f"{composition_id}.{audio_format.value}")
    try:
        target.write_bytes(_client(ctx).composition_audio(composition_id, audio_format.value))
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Wrote {target}")


@app.command()
def compositions(ctx: typer.Context) -> None:
    """Your compositions: name, status, tracks (index: name) and whether a share link is active."""
    try:
        items = _client(ctx).compositions()
    except ApiError as exc:
        raise _fail(exc) from exc
    table = _table("id", "name", "status", "bars", "tracks", "shared")
    for c in items:
        table.add_row(
            c["id"],
            c.get("name") or "",
            c.get("status", ""),
            _fmt(c.get("bars")),
            "\n".join(f"{t['index']}: {t['name']}" for t in c.get("tracks") or []),
            "yes" if c.get("shareToken") else "",
        )
    console.print(table)


@app.command()
def rename(
    ctx: typer.Context,
    composition_id: Annotated[str, typer.Argument(help="One of your composition ids.")],
    name: Annotated[str, typer.Argument(help="The new name (1-100 characters).")],
) -> None:
    """Rename one of your compositions (`composer melodies rename` for a melody)."""
    try:
        composition = _client(ctx).rename_composition(composition_id, name)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Composition {composition['id']} is now [bold]{composition['name']}[/bold]")


@app.command()
def delete(
    ctx: typer.Context, composition_id: Annotated[str, typer.Argument(help="One of your composition ids.")]
) -> None:
    """Delete one of your compositions: its record, files and share link (`composer melodies delete` for a melody)."""
    try:
        _client(ctx).delete_composition(composition_id)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Deleted composition {composition_id}")


@app.command()
def share(
    ctx: typer.Context, composition_id: Annotated[str, typer.Argument(help="One of your COMPLETED compositions.")]
) -> None:
    """Print a read-only link to a composition that works without signing in (the same link until `unshare`)."""
    try:
        link = _client(ctx).share(composition_id)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"[green]Shared[/green] {composition_id}: {link['url']}")
    console.print(
        f"Also {link['url']}/midi and {link['url']}/pianoroll.png; `composer unshare {composition_id}` revokes it."
    )


@app.command()
def unshare(
    ctx: typer.Context, composition_id: Annotated[str, typer.Argument(help="One of your composition ids.")]
) -> None:
    """Revoke a composition's share link (it answers 404 from then on)."""
    try:
        _client(ctx).unshare(composition_id)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Composition {composition_id} is not shared any more")


@app.command()
def pianoroll(
    ctx: typer.Context,
    composition_id: Annotated[str, typer.Argument(help="A composition id.")],
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("roll.png"),
    scale: Annotated[int, typer.Option("--scale", min=1, max=2, help="2 for high-density screens.")] = 1,
) -> None:
    """Save a composition's piano roll picture (one colour per track, note names, bar numbers, a legend)."""
    try:
        out.write_bytes(_client(ctx).pianoroll(composition_id, scale))
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Wrote {out}")


# --- models and training ----------------------------------------------------------------------


@app.command()
def models(ctx: typer.Context) -> None:
    """Shipped models and your own, with each one's type and knobs (name=default and range)."""
    try:
        items = _client(ctx).models()
    except ApiError as exc:
        raise _fail(exc) from exc
    table = _table("id", "name", "type", "knobs (--param)", "status", "built-in", "training job", "similarity")
    for m in items:
        table.add_row(
            m["id"],
            m.get("name", ""),
            m.get("type", "gan"),
            knobs_text(m.get("parameterSchema")),
            m.get("status", ""),
            "yes" if m.get("builtin") else "",
            m.get("trainingJobId") or "",
            _fmt((m.get("metrics") or {}).get("similarity")),
        )
    console.print(table)


@app.command("model-types")
def model_types(ctx: typer.Context) -> None:
    """The techniques, with their composition knobs (--param) and training hyperparameters (--hp)."""
    try:
        items = _client(ctx).model_types()
    except ApiError as exc:
        raise _fail(exc) from exc
    table = _table("type", "what it does", "knobs (compose --param)", "hyperparameters (train --hp)")
    for t in items:
        table.add_row(
            t["type"],
            t.get("description", ""),
            knobs_text(t.get("parameterSchema")),
            knobs_text(t.get("hyperparameterSchema")),
        )
    console.print(table)


@app.command()
def datasets(ctx: typer.Context) -> None:
    """The data-set tags to filter training data on."""
    try:
        items = _client(ctx).datasets()
    except ApiError as exc:
        raise _fail(exc) from exc
    table = _table("tag", "kind", "pieces", "held out", "training windows", "styles")
    for d in items:
        table.add_row(
            d["tag"],
            d.get("kind", ""),
            _fmt(d.get("pieces")),
            _fmt(d.get("heldOutPieces")),
            _fmt(d.get("windows")),
            ", ".join(d.get("styles", [])),
        )
    console.print(table)


@app.command()
def train(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the model to train.")],
    tags: Annotated[str, typer.Option(help="Comma-separated data-set tags, e.g. 'bach,major'.")],
    model_type: Annotated[
        str, typer.Option("--type", "-t", help="Model type: gan, ar-cnn or transformer (see `composer model-types`).")
    ] = "gan",
    epochs: Annotated[int | None, typer.Option(help="Passes over the data (default: the type's).")] = None,
    learning_rate: Annotated[float | None, typer.Option()] = None,
    batch_size: Annotated[int | None, typer.Option()] = None,
    update_ratio: Annotated[int | None, typer.Option(help="Critic updates per generator update.")] = None,
    width: Annotated[int | None, typer.Option(help="Filters of the first conv layer.")] = None,
    max_windows: Annotated[int | None, typer.Option(help="Cap on training windows.")] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    hp: Annotated[
        list[str] | None,
        typer.Option("--hp", help="Any hyperparameter of the type as name=value, repeatable, e.g. layers=4."),
    ] = None,
    watch_: Annotated[bool, typer.Option("--watch", help="Show the epochs live until the job ends.")] = False,
) -> None:
    """Train your own model (of any type) on a filtered slice of the data set."""
    hyperparameters: dict[str, Any] = {}
    for key, value in (
        ("epochs", epochs),
        ("learningRate", learning_rate),
        ("batchSize", batch_size),
        ("updateRatio", update_ratio),
        ("width", width),
        ("maxWindows", max_windows),
        ("seed", seed),
    ):
        if value is not None:
            hyperparameters[key] = value
    hyperparameters.update(parse_assignments(hp, "--hp"))
    tag_list = [t.strip() for t in tags.split(",") if t.strip()]
    try:
        job = _client(ctx).start_training(name, tag_list, hyperparameters, model_type)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(
        f"[green]Started[/green] {job.get('modelType', model_type)} training job {job['id']} ({job['status']})"
    )
    if job.get("estimate"):
        console.print(estimate_line(job["estimate"], job.get("epochs")))
    if watch_:
        _watch(_client(ctx), job["id"])


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def estimate_line(estimate: dict[str, Any], epochs: int | None) -> str:
    """``Estimated time: about 4 min 10 s (10 training pieces, 2 held out, 1,152 windows, 8 epochs)``."""
    return (
        f"Estimated time: about {_duration(estimate['seconds'])} ({estimate['trainingPieces']} training pieces, "
        f"{estimate['heldOutPieces']} held out, {estimate['windows']:,} windows, {epochs} epochs)"
    )


@app.command()
def watch(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="A training job id.")]) -> None:
    """Follow a training job live until it ends."""
    _watch(_client(ctx), job_id)


@app.command()
def stop(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="A training job id.")]) -> None:
    """Stop a training job."""
    try:
        job = _client(ctx).stop_training(job_id)
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Training job {job_id}: {job.get('status')}")


@app.command()
def jobs(ctx: typer.Context) -> None:
    """Your training jobs."""
    try:
        items = _client(ctx).training_jobs()
    except ApiError as exc:
        raise _fail(exc) from exc
    table = _table("id", "model", "status", "epoch", "estimate", "created", "model id / failure")
    for j in items:
        table.add_row(
            j["id"],
            j.get("modelName", ""),
            j.get("status", ""),
            f"{j.get('epoch', 0)}/{j.get('epochs', '?')}",
            _duration(j["estimate"]["seconds"]) if j.get("estimate") else "",
            j.get("createdAt", ""),
            j.get("modelId") or j.get("failureReason") or "",
        )
    console.print(table)


# The quality metrics a terminal has room for, in this order (the API returns them all).
WATCHED_METRICS = ("similarity", "chordBeats", "parallels", "bassSteps")


def epoch_table(job: dict[str, Any], samples: list[dict[str, Any]] | None = None, api_url: str = "") -> Table:
    """The live view of a training job: one row per finished epoch with the model type's own losses
    (the ``losses`` map) and quality metrics; the caption says where the latest epoch's sample is."""
    status = job.get("status", "")
    secondary = f" ({job['secondaryStatus']})" if job.get("secondaryStatus") else ""
    title = f"{job.get('modelName', '')} - {status}{secondary} - epoch {job.get('epoch', 0)}/{job.get('epochs', '?')}"
    history = job.get("history") or []
    loss_names = list(dict.fromkeys(k for h in history for k in (h.get("losses") or {})))
    available = {k for h in history for k in (h.get("metrics") or {})}
    metric_names = [m for m in WATCHED_METRICS if m in available] or sorted(available)[:3]
    headers = [f"{_words(n)} loss" for n in loss_names]
    table = _table("epoch", *headers, *metric_names, "seconds", title=title)
    for h in history:
        metrics, losses = h.get("metrics") or {}, h.get("losses") or {}
        table.add_row(
            str(h.get("epoch")),
            *(_fmt(losses.get(n)) for n in loss_names),
            *(_fmt(metrics.get(n)) for n in metric_names),
            _fmt(h.get("seconds"), 1),
        )
    captions = []
    if samples:
        captions.append(f"sample of epoch {samples[-1]['epoch']}: {api_url}{samples[-1]['midi']}")
    if job.get("failureReason"):
        captions.append(f"[red]{job['failureReason']}[/red]")
    elif job.get("modelId"):
        captions.append(f"model {job['modelId']}")
    if captions:
        table.caption = "\n".join(captions)
    return table


def _words(name: str) -> str:
    """``heldOut`` -> ``held out``, for column headers."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name)


def _watch(client: ComposerClient, job_id: str) -> None:
    seen: dict[str, Any] = {"epoch": 0, "samples": []}

    def update(job: dict[str, Any], live: Live) -> None:
        if job.get("epoch", 0) != seen["epoch"]:  # a new epoch may have brought a new sample
            seen["epoch"], seen["samples"] = job.get("epoch", 0), client.training_samples(job_id)
        live.update(epoch_table(job, seen["samples"], client.api_url))

    try:
        with Live(console=console, refresh_per_second=4) as live:
            final = client.wait_training(job_id, on_update=lambda j: update(j, live))
        samples = client.training_samples(job_id)
    except ApiError as exc:
        raise _fail(exc) from exc
    except KeyboardInterrupt:
        console.print(f"Stopped watching; the job goes on. `composer watch {job_id}` to follow it again.")
        raise typer.Exit(code=130) from None
    colour = "green" if final["status"] == "COMPLETED" else "red"
    console.print(f"[{colour}]Training job {job_id} {final['status']}[/{colour}]")
    _print_samples(client, job_id, samples)
    if final["status"] != "COMPLETED":
        raise typer.Exit(code=1)


def _print_samples(client: ComposerClient, job_id: str, samples: list[dict[str, Any]]) -> None:
    """Whole URLs on one line each (soft wrap), so they can be copied."""
    if not samples:
        console.print("No samples yet (one is composed after each epoch).")
        return
    console.print(
        f"Samples (one per epoch, the same held-out melody): `composer samples {job_id} --epoch N`", soft_wrap=True
    )
    for sample in samples:
        console.print(f"  epoch {sample['epoch']}: {client.api_url}{sample['midi']}", soft_wrap=True)
    console.print(
        f"Chart: {client.api_url}/training-jobs/{job_id}/chart.png (`composer chart {job_id}`)", soft_wrap=True
    )


@app.command()
def samples(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="A training job id.")],
    epoch: Annotated[int | None, typer.Option("--epoch", help="Download this epoch's sample.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write it (default JOB-epoch-N.mid).")
    ] = None,
) -> None:
    """List a training job's per-epoch samples, or download one as MIDI."""
    client = _client(ctx)
    try:
        if epoch is None:
            _print_samples(client, job_id, client.training_samples(job_id))
            return
        target = out or Path(f"{job_id}-epoch-{epoch}.mid")
        target.write_bytes(client.training_sample(job_id, epoch))
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Wrote {target}")


@app.command()
def chart(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="A training job id.")],
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("chart.png"),
    scale: Annotated[int, typer.Option("--scale", min=1, max=2, help="2 for high-density screens.")] = 1,
) -> None:
    """Save a training job's chart: losses and music figures per epoch, the similarity index highlighted."""
    try:
        out.write_bytes(_client(ctx).training_chart(job_id, scale))
    except ApiError as exc:
        raise _fail(exc) from exc
    console.print(f"Wrote {out}")


if __name__ == "__main__":
    app()
