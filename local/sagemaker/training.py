"""One local SageMaker training job: the script runs as a subprocess under SageMaker's SM_* contract.

What SageMaker does around a training container, done here with the same observable effects:
download the source dir and the input channels, restore and keep syncing the checkpoint directory,
enforce ``StoppingCondition.MaxRuntimeInSeconds``, answer ``StopTrainingJob`` by terminating the
process, read ``$SM_OUTPUT_DIR/failure`` as the ``FailureReason``, and upload the model directory as
``<S3OutputPath>/<job>/output/model.tar.gz``. The "container" is this machine's Python interpreter.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from local.sagemaker import storage

LOG = logging.getLogger(__name__)

# The hyperparameters SageMaker's framework containers consume themselves; the script never sees them.
_FRAMEWORK_PREFIX = "sagemaker_"
_FAILURE_REASON_LIMIT = 1024


_PR_SET_PDEATHSIG = 1


class ProcessRegistry(Protocol):
    """Where started processes are recorded, so a later start can end any that outlived a killed runtime."""

    def add(self, pid: int, what: str) -> None: ...

    def remove(self, pid: int) -> None: ...


def _die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn``: the child gets SIGKILL when the thread that started it dies, even by SIGKILL.

    (Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere the start-up cleanup of recorded processes remains.)
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return lambda: None
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def _decode_hyperparameter(value: str) -> Any:
    """The training toolkit JSON-decodes each value when it can ("3" -> 3, '["a"]' -> ["a"])."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _module_for(program: str, code_dir: Path) -> list[str]:
    """How to run ``program``: as a module when it sits in a package (so package imports work)."""
    path = Path(program)
    if path.suffix == ".py" and len(path.parts) > 1 and (code_dir / path.parent / "__init__.py").exists():
        return ["-m", ".".join(path.with_suffix("").parts)]
    return [program]


class TrainingJob:
    """The state of one training job plus the thread that drives it; ``describe()`` is the API view."""

    def __init__(
        self,
        request: dict[str, Any],
        *,
        arn: str,
        s3: Any,
        work_dir: Path,
        python: str,
        checkpoint_sync_seconds: float,
        stop_grace_seconds: float,
        processes: ProcessRegistry | None = None,
    ) -> None:
        self.name: str = request["TrainingJobName"]
        self._processes = processes
        self._request = request
        self._arn = arn
        self._s3 = s3
        self._work_dir = work_dir
        self._python = python
        self._sync_seconds = checkpoint_sync_seconds
        self._grace = stop_grace_seconds
        self._lock = threading.Lock()
        self._stop_requested = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        now = time.time()
        self._status = "InProgress"
        self._secondary = "Starting"
        self._transitions: list[dict[str, Any]] = []
        self._failure_reason: str | None = None
        self._artifacts: str | None = None
        self._final_metrics: list[dict[str, Any]] = []
        self._created = now
        self._modified = now
        self._started: float | None = None
        self._ended: float | None = None
        self._move("Starting", "Preparing the instances for training")
        self._thread = threading.Thread(target=self._run, name=f"training-{self.name}", daemon=True)

    # --- API view -------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        with self._lock:
            return self._status

    def start(self) -> None:
        self._thread.start()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                "TrainingJobName": self.name,
                "TrainingJobArn": self._arn,
                "TrainingJobStatus": self._status,
                "SecondaryStatus": self._secondary,
                "HyperParameters": self._request.get("HyperParameters", {}),
                "AlgorithmSpecification": self._request["AlgorithmSpecification"],
                "RoleArn": self._request["RoleArn"],
                "InputDataConfig": self._request.get("InputDataConfig", []),
                "OutputDataConfig": self._request["OutputDataConfig"],
                "ResourceConfig": self._request["ResourceConfig"],
                "StoppingCondition": self._request["StoppingCondition"],
                "CreationTime": self._created,
                "LastModifiedTime": self._modified,
                "SecondaryStatusTransitions": [dict(t) for t in self._transitions],
                "EnableNetworkIsolation": bool(self._request.get("EnableNetworkIsolation", False)),
                "EnableManagedSpotTraining": bool(self._request.get("EnableManagedSpotTraining", False)),
                "ModelArtifacts": {"S3ModelArtifacts": self._artifacts or self._artifact_uri()},
            }
            if "CheckpointConfig" in self._request:
                out["CheckpointConfig"] = self._request["CheckpointConfig"]
            if self._failure_reason:
                out["FailureReason"] = self._failure_reason
            if self._final_metrics:
                out["FinalMetricDataList"] = [dict(m) for m in self._final_metrics]
            if self._started is not None:
                out["TrainingStartTime"] = self._started
            if self._ended is not None:
                out["TrainingEndTime"] = self._ended
                seconds = int(self._ended - (self._started or self._created))
                out["TrainingTimeInSeconds"] = seconds
                out["BillableTimeInSeconds"] = seconds
            return out

    def stop(self) -> None:
        """StopTrainingJob: SageMaker moves to Stopping at once and terminates the container."""
        with self._lock:
            if self._status != "InProgress":
                return
            self._status = "Stopping"
        self._move("Stopping", "Stopping the training job")
        self._stop_requested.set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --- the job ---------------------------------------------------------------------------------

    def _artifact_uri(self) -> str:
        return f"{self._request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{self.name}/output/model.tar.gz"

    def _move(self, secondary: str, message: str) -> None:
        now = time.time()
        with self._lock:
            if self._transitions and "EndTime" not in self._transitions[-1]:
                self._transitions[-1]["EndTime"] = now
            self._transitions.append({"Status": secondary, "StartTime": now, "StatusMessage": message})
            self._secondary = secondary
            self._modified = now

    def _finish(self, status: str, secondary: str, message: str, failure: str | None = None) -> None:
        self._move(secondary, message)
        now = time.time()
        with self._lock:
            self._transitions[-1]["EndTime"] = now
            self._status = status
            self._failure_reason = failure[:_FAILURE_REASON_LIMIT] if failure else None
            self._ended = now
            self._modified = now

    def _run(self) -> None:
        try:
            self._run_job()
        except Exception as exc:  # noqa: BLE001 - any platform error must end the job as Failed, as SageMaker does
            LOG.exception("training job %s failed in the platform", self.name)
            self._finish("Failed", "Failed", "Training job failed", f"InternalServerError: {exc}")

    def _run_job(self) -> None:
        root = self._work_dir
        model_dir, output_dir, checkpoint_dir = root / "model", root / "output", root / "checkpoints"
        data_dir, input_dir = output_dir / "data", root / "input"
        for d in (model_dir, output_dir, data_dir, checkpoint_dir, input_dir / "data", input_dir / "config"):
            d.mkdir(parents=True, exist_ok=True)

        self._move("Downloading", "Downloading input data and the training code")
        hyperparameters: dict[str, str] = dict(self._request.get("HyperParameters") or {})
        program = hyperparameters.get(f"{_FRAMEWORK_PREFIX}program")
        code_dir = self._fetch_code(hyperparameters.get(f"{_FRAMEWORK_PREFIX}submit_directory"), root / "code")
        if not program or code_dir is None:
            self._finish(
                "Failed",
                "Failed",
                "Training job failed",
                "ClientError: the hyperparameters sagemaker_program and sagemaker_submit_directory name the training script and its source dir",
            )
            return
        channels = self._fetch_channels(input_dir / "data")
        checkpoint = self._request.get("CheckpointConfig")
        sync = None
        if checkpoint:
            storage.download_prefix(self._s3, checkpoint["S3Uri"], checkpoint_dir)
            sync = storage.CheckpointSync(self._s3, checkpoint_dir, checkpoint["S3Uri"])
            sync.sync()  # what was restored is already there: remember it, so only changes go up

        user_hps = {
            k: _decode_hyperparameter(v) for k, v in hyperparameters.items() if not k.startswith(_FRAMEWORK_PREFIX)
        }
        (input_dir / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))
        env = dict(os.environ)
        env.update(
            {
                "SM_HPS": json.dumps(user_hps),
                "SM_MODEL_DIR": str(model_dir),
                "SM_OUTPUT_DIR": str(output_dir),
                "SM_OUTPUT_DATA_DIR": str(data_dir),
                "SM_CHECKPOINT_DIR": str(checkpoint_dir),
                "SM_INPUT_DIR": str(input_dir),
                "SM_INPUT_CONFIG_DIR": str(input_dir / "config"),
                "SM_CHANNELS": json.dumps(sorted(channels)),
                "SM_CURRENT_HOST": "algo-1",
                "SM_HOSTS": json.dumps(["algo-1"]),
                "SM_NUM_GPUS": "0",
                "SM_NUM_CPUS": str(os.cpu_count() or 1),
                "SM_USER_ENTRY_POINT": program,
                "SM_TRAINING_ENV": json.dumps({"job_name": self.name, "hyperparameters": user_hps}),
                "TRAINING_JOB_NAME": self.name,
                "TRAINING_JOB_ARN": self._arn,
                "PYTHONPATH": os.pathsep.join([str(code_dir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
                "PYTHONUNBUFFERED": "1",
            }
        )
        for channel, path in channels.items():
            env[f"SM_CHANNEL_{channel.upper()}"] = str(path)

        max_runtime = float(self._request["StoppingCondition"].get("MaxRuntimeInSeconds", 86400))
        self._move("Training", "Training image download completed. Training in progress.")
        log_path = root / "training.log"
        started = time.time()
        with self._lock:
            self._started = started
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [self._python, *_module_for(program, code_dir)],
                cwd=code_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(),  # noqa: PLW1509 - only prctl and getppid run in the child
            )
            if self._processes is not None:
                self._processes.add(self._process.pid, f"training job {self.name}")
            try:
                outcome = self._supervise(self._process, sync, deadline=started + max_runtime)
            finally:
                if self._processes is not None:
                    self._processes.remove(self._process.pid)
        if sync:
            sync.sync()
        self._final_metrics = self._read_metrics(log_path)

        if outcome == "stopped":
            self._finish("Stopped", "Stopped", "Training job stopped")
        elif outcome == "timeout":
            self._finish(
                "Stopped", "MaxRuntimeExceeded", f"Training job exceeded MaxRuntimeInSeconds ({int(max_runtime)} s)"
            )
        elif self._process.returncode == 0:
            self._move("Uploading", "Uploading generated training model")
            storage.upload_bytes(self._s3, self._artifact_uri(), storage.tar_gz(model_dir))
            if any(data_dir.iterdir()):
                output_uri = self._artifact_uri().rsplit("/", 1)[0] + "/output.tar.gz"
                storage.upload_bytes(self._s3, output_uri, storage.tar_gz(data_dir))
            with self._lock:
                self._artifacts = self._artifact_uri()
            self._finish("Completed", "Completed", "Training job completed")
        else:
            self._finish(
                "Failed", "Failed", "Training job failed", self._failure_reason_from(output_dir, log_path, program)
            )

    def _supervise(self, process: subprocess.Popen[bytes], sync: storage.CheckpointSync | None, deadline: float) -> str:
        next_sync = time.time() + self._sync_seconds
        while True:
            try:
                process.wait(timeout=0.2)
                return "exited"
            except subprocess.TimeoutExpired:
                pass
            if self._stop_requested.is_set():
                self._terminate(process)
                return "stopped"
            if time.time() >= deadline:
                with self._lock:
                    self._status = "Stopping"
                self._move("Stopping", "Stopping the training job: MaxRuntimeInSeconds reached")
                self._terminate(process)
                return "timeout"
            if sync and time.time() >= next_sync:
                try:
                    sync.sync()
                except Exception:  # noqa: BLE001 - a failed sync is retried on the next tick, as SageMaker does
                    LOG.warning("checkpoint sync of %s failed; retrying", self.name, exc_info=True)
                next_sync = time.time() + self._sync_seconds

    def _terminate(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM to the script's process group, SIGKILL after the grace period (SageMaker gives 120 s)."""
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=self._grace)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()

    def _fetch_code(self, submit_directory: str | None, target: Path) -> Path | None:
        if not submit_directory:
            return None
        parsed = urlparse(submit_directory)
        if parsed.scheme == "file":
            path = Path(parsed.path)
            return path if path.is_dir() else None
        if parsed.scheme == "s3":
            storage.extract_tar_gz(storage.download_object(self._s3, submit_directory), target)
            return target
        return None

    def _fetch_channels(self, data_root: Path) -> dict[str, Path]:
        channels: dict[str, Path] = {}
        for channel in self._request.get("InputDataConfig") or []:
            name = channel["ChannelName"]
            uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
            target = data_root / name
            target.mkdir(parents=True, exist_ok=True)
            storage.download_prefix(self._s3, uri, target)
            channels[name] = target
        return channels

    def _read_metrics(self, log_path: Path) -> list[dict[str, Any]]:
        """The last value of each ``MetricDefinitions`` regex in the log, like FinalMetricDataList."""
        definitions = self._request["AlgorithmSpecification"].get("MetricDefinitions") or []
        text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        out = []
        for definition in definitions:
            matches = re.findall(definition["Regex"], text)
            if not matches:
                continue
            last = matches[-1][0] if isinstance(matches[-1], tuple) else matches[-1]
            try:
                out.append({"MetricName": definition["Name"], "Value": float(last), "Timestamp": time.time()})
            except ValueError:
                continue
        return out

    @staticmethod
    def _failure_reason_from(output_dir: Path, log_path: Path, program: str) -> str:
        failure = output_dir / "failure"
        if failure.exists() and failure.read_text(encoding="utf-8", errors="replace").strip():
            return "AlgorithmError: " + failure.read_text(encoding="utf-8", errors="replace").strip()
        tail = (
            log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            if log_path.exists()
            else []
        )
        return f"AlgorithmError: ExecuteUserScriptError: {program} exited with an error: " + " | ".join(tail)
