"""Every setting in one place: paths and who may retrain, from the environment, and the training hyper-parameters.

All are frozen dataclasses, so nothing changes them at run time; make a new one with
``dataclasses.replace`` instead.
"""

from __future__ import annotations

import dataclasses
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The pen-drawn writers of pendigits-orig.tra the shipped model learned from; 25-30 are held out for tuning.
PEN_TRAINING_WRITERS = tuple(range(1, 25))
# The writers of UJI Pen Characters' training part (trn, 40 writers) the shipped model learned from: all but
# W10, W11 (Jaume I) and W55, W56, W58, W59 (Valencia), held out for calibration as pendigits' 25-30 are.
# Its test part (tst, 20 writers) is never trained or tuned on.
UJI_TRAINING_WRITERS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 19, 20, 22, 23, 25, 26, 28, 29, 31, 32, 34, 35, 37, 38, 40,
                        41, 43, 44, 46, 47, 49, 50, 52, 53)


@dataclass(frozen=True)
class Paths:
    """Where the project reads and writes files."""

    # Models shipped with the project, one directory each; the app never writes here.
    models_dir: Path = PROJECT_ROOT / "models"
    # The version used when none has been made active, or when the active one cannot be used.
    shipped_model: str = "mnist-cnn"
    # Retrained models, one directory per run, and the small file naming the active version.
    runs_dir: Path = PROJECT_ROOT / "models" / "runs"
    # A local copy of MNIST in Keras's .npz layout; None means Keras's own downloading loader.
    mnist_path: Path | None = None
    # Pen-drawn digits (pendigits-orig.tra) for retraining as the shipped model was; None trains on MNIST only.
    # From the environment: PENDIGITS_PATH's file, else the copy Keras's downloader keeps (pen_download_path).
    pen_path: Path | None = None
    # Pen-drawn digits of UJI Pen Characters (its digits-only copy or UCI's full ujipenchars2.txt), from
    # UJIPEN_PATH, for retraining as the shipped model was; None trains on pendigits' writers only.
    uji_path: Path | None = None
    # The corrections users sent (mnist_app.corrections): CORRECTIONS_PATH, else a file in the runs folder.
    corrections_path: Path | None = None
    # DATABASE_URL: a PostgreSQL database (postgresql://user@host/db) that servers on several machines share for
    # the corrections, the active version and the training lock (mnist_app.database); None keeps them on this machine.
    database_url: str | None = None

    @property
    def corrections_file(self) -> Path:
        """The corrections database: ``corrections_path``, else corrections.sqlite in the runs folder."""
        return self.corrections_path or self.runs_dir / "corrections.sqlite"

    @property
    def corrections_location(self) -> str | Path:
        """Where the corrections live: the shared database when there is one, else ``corrections_file``."""
        return self.database_url or self.corrections_file

    @property
    def default_model_dir(self) -> Path:
        """The directory of the shipped model."""
        return self.models_dir / self.shipped_model

    @classmethod
    def from_env(cls) -> "Paths":
        """Paths with MNIST_PATH, PENDIGITS_PATH, UJIPEN_PATH, CORRECTIONS_PATH, DATABASE_URL and RUNS_DIR from the environment.

        PENDIGITS_PATH names a local pendigits-orig.tra; unset, the pen-drawn digits are the copy that
        data.pen_digits_file downloads from UCI into Keras's cache when a retrain first needs them (as
        Keras does for MNIST); ``none`` trains on MNIST alone.
        """
        runs_dir = _env_path("RUNS_DIR")
        pen_setting = os.environ.get("PENDIGITS_PATH", "").strip()
        return cls(
            mnist_path=_env_path("MNIST_PATH"),
            uji_path=_env_path("UJIPEN_PATH"),
            corrections_path=_env_path("CORRECTIONS_PATH"),
            database_url=os.environ.get("DATABASE_URL", "").strip() or None,
            pen_path=None if pen_setting.lower() == "none" else _env_path("PENDIGITS_PATH") or pen_download_path(),
            **({"runs_dir": runs_dir} if runs_dir else {}),
        )


@dataclass(frozen=True)
class RetrainAccess:
    """Who may change the server from the Training page: start or stop training, make a version active.

    Training takes both CPU cores for minutes, so a public server switches it off (RETRAINING=off) or puts it
    behind a password (RETRAIN_PASSWORD). The page may also take the password from Streamlit's secrets.
    The command line (python -m mnist_app train, activate) is for the server's operator and is not guarded.
    """

    # Whether the Training page offers retraining at all; on, so that a fresh clone can retrain.
    enabled: bool = True
    # The password the page's start, stop and make-active controls need; None leaves them open to every visitor.
    password: str | None = None

    def accepts(self, attempt: str) -> bool:
        """Whether ``attempt`` is the password, compared in constant time (no timing hints to a guesser)."""
        if self.password is None:
            return False
        return hmac.compare_digest(attempt.encode("utf-8"), self.password.encode("utf-8"))

    @classmethod
    def from_env(cls) -> "RetrainAccess":
        """RETRAINING (on, the default, or off) and RETRAIN_PASSWORD (unset or empty: no password)."""
        switch = os.environ.get("RETRAINING", "").strip().lower() or "on"
        if switch not in ("on", "off"):
            raise ValueError(f"RETRAINING must be on or off, got {os.environ['RETRAINING']!r}")
        password = os.environ.get("RETRAIN_PASSWORD", "")
        return cls(enabled=switch == "on", password=password if password.strip() else None)


def pen_download_path() -> Path:
    """Where the downloaded pen-drawn digits are kept: Keras's cache, beside MNIST's download.

    That is KERAS_HOME, else ~/.keras (/tmp/.keras when the home folder is read-only), as
    keras.utils.get_file chooses it, then datasets/pendigits/pendigits-orig.tra. Found here without
    importing Keras, which takes seconds: the Training page asks on every run of its script.
    """
    keras_home = os.environ.get("KERAS_HOME")
    if keras_home is None:
        home = Path("~").expanduser()
        keras_home = (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"
    return Path(keras_home).expanduser().resolve() / "datasets" / "pendigits" / "pendigits-orig.tra"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


# The architectures a TrainConfig may name: the keys of mnist_app.models.model.ARCHITECTURES.
ARCHITECTURE_NAMES = ("cnn", "dense")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run; stored verbatim in the model card."""

    # Architecture name, a key of mnist_app.models.model.ARCHITECTURES ("cnn" or "dense").
    model: str = "cnn"
    # Upper bound on passes over the training data; early stopping may end the run sooner.
    epochs: int = 40
    # Images per gradient step: 128 keeps both CPU cores busy without hurting accuracy.
    batch_size: int = 128
    # Peak learning rate of Adam, reached after the warm-up and then decayed along a cosine.
    learning_rate: float = 2e-3
    # Epochs of linear warm-up before the cosine decay starts; it steadies batch normalisation early on.
    warmup_epochs: float = 1.0
    # Share of the training images held out for validation (early stopping watches them).
    validation_split: float = 1 / 12
    # Epochs without a better validation loss before training stops and the best weights return
    # (counted from a third of the run on, see train.py).
    patience: int = 8
    # Random distortions of training images (below); off gives the plain seed-notebook training.
    augment: bool = True
    # Largest rotation either way, in degrees: people rarely tilt a digit further.
    max_rotation_deg: float = 12.0
    # Largest relative change of size, in both directions; MNIST digits fill a 20x20 box, drawings vary.
    max_scale: float = 0.12
    # Largest horizontal shear (x shifted by shear * y): slanted handwriting.
    max_shear: float = 0.25
    # Largest shift in pixels along each axis, on the 28x28 image.
    max_shift_px: float = 2.5
    # Stroke weight change, as a blend towards a 3x3 erosion (negative) or dilation (positive).
    stroke_range: tuple[float, float] = (-0.5, 1.0)
    # Seed for weights, the validation split and augmentation, so that a run can be repeated.
    seed: int = 1
    # Pen-drawn digits (a pendigits-orig.tra file) drawn like users draw and added to MNIST's training
    # images; None trains on MNIST alone. Never the .tes file: its writers are the test of real use.
    pen_path: str | None = None
    # How many differently drawn copies of each pen-drawn digit to add (size, place and pen vary).
    pen_renders: int = 3
    # Extra drawings of each pen-drawn digit that a writing convention applies to (a slashed 0, a crossed 7,
    # a flagged 1...: mnist_app.handwriting.conventions), each with one of them.
    convention_renders: int = 2
    # Drawings of things that are not digits (taps, dashes, scribbles, letters: mnist_app.handwriting.nondigits) added
    # to training, which teach the model to spread its belief over the ten digits for them; 0 adds none.
    non_digits: int = 12000
    # Weight of the loss on those drawings against the digits' loss (outlier exposure uses 0.5).
    non_digit_weight: float = 0.5
    # Only these writers of pen_path (their numbers in the file); None takes all. Those left out calibrate.
    pen_writers: tuple[int, ...] | None = None
    # Pen-drawn digits of UJI Pen Characters (mnist_app.handwriting.ujipen: writers of Spain, continental ones and
    # barred sevens) drawn and added like pen_path's; only its training writers (trn) are ever read.
    uji_path: str | None = None
    # Only these of its training writers (W01 -> 1); None takes all 40. Those left out calibrate.
    uji_writers: tuple[int, ...] | None = None
    # Use only the first N training images (before the validation split); None uses all. For quick runs.
    train_limit: int | None = None
    # The corrections database (mnist_app.corrections: a file, or a PostgreSQL URL without its password) whose
    # accepted corrections are learned from, the held-out ones measured after training (the card's
    # "corrections"); None learns from none.
    corrections_path: str | None = None
    # Training images made from each accepted correction (its strokes redrawn, or its pixels augmented).
    # 50: 32 corrections make 1,600 of a default retrain's 98,877 images (1.6%), which taught it a new way of
    # writing 7 without harm to MNIST (figures and reasons in mnist_app/training/from_corrections.py).
    correction_renders: int = 50

    @classmethod
    def from_record(cls, record: dict) -> "TrainConfig":
        """The config that ``dataclasses.asdict`` turned into ``record`` (JSON has lists, not tuples).

        A record written by another version of the app may lack settings (they take their defaults) or name
        settings this version does not have (they are left out); a value this version refuses is a ValueError.
        """
        if not isinstance(record, dict):
            raise ValueError(f"a training config is a JSON object of settings, not {type(record).__name__}")
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in record.items() if key in known})

    def __post_init__(self) -> None:
        # Comparisons are written so that NaN fails them (NaN > 0 is False): a setting read from a file may be anything.
        if self.model not in ARCHITECTURE_NAMES:
            raise ValueError(f"model must be one of {', '.join(ARCHITECTURE_NAMES)}, got {self.model!r}")
        for name in ("epochs", "batch_size", "patience", "pen_renders"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
        if not 0 < self.validation_split < 1:
            raise ValueError(f"validation_split must be between 0 and 1, got {self.validation_split}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if not self.warmup_epochs >= 0:
            raise ValueError(f"warmup_epochs must not be negative, got {self.warmup_epochs}")
        if not self.stroke_range[0] <= self.stroke_range[1]:
            raise ValueError(f"stroke_range must run from low to high, got {self.stroke_range}")
        if not self.non_digit_weight >= 0:
            raise ValueError(f"non_digit_weight must not be negative, got {self.non_digit_weight}")
        if self.pen_path is not None and self.pen_path.lower().endswith(".tes"):
            raise ValueError("pen_path must not be the .tes file: its writers are kept for measuring real use")
        if self.convention_renders < 0 or self.non_digits < 0:
            raise ValueError("convention_renders and non_digits must not be negative")
        if self.correction_renders < 1:
            raise ValueError(f"correction_renders must be at least 1, got {self.correction_renders}")
        if self.corrections_path is not None and not str(self.corrections_path).strip():
            raise ValueError("corrections_path must name a file or a database (or be None for no corrections)")
        if self.train_limit is not None and self.train_limit < 20:
            raise ValueError(f"train_limit must be at least 20 images, got {self.train_limit}")
