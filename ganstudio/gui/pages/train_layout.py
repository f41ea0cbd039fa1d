"""How the Train page is laid out: presets and time, the buttons, curves and samples, Advanced settings."""

from __future__ import annotations

CHOOSE_RUN = "choose"  # the Start-from entry that opens a folder dialog

AUGMENT_CHOICES = [
    ("Automatic (by data-set size)", None),
    ("None", ""),
    ("Shift", "translation"),
    ("Colour + shift", "color,translation"),
    ("Colour + shift + cutout", "color,translation,cutout"),
]
PRECISION_CHOICES = [
    ("Automatic (fastest measured)", "auto"),
    ("32-bit float", "fp32"),
    ("bfloat16", "bf16"),
    ("float16 (NVIDIA GPUs)", "fp16"),
]



from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.bundled import bundled_model_path
from ganstudio.config import ARCHITECTURES, LOSSES
from ganstudio.presets import PRESETS
from ganstudio.threads import cpu_cores
from ganstudio.gui.widgets.plots import TrainingPlots
from ganstudio.gui.widgets.sample_view import SampleTimeline


class TrainLayout:
    """Builds TrainPage's widgets (a mixin; train.py keeps them in step with the state)."""

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(12)

        # Left: settings and controls, scrollable so a small screen never clips them.
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(10)

        preset_box = QGroupBox("What to train")
        form = QFormLayout(preset_box)
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        self.preset_combo.setAccessibleName("Preset")
        for key, preset in PRESETS.items():
            self.preset_combo.addItem(preset.title, key)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, preset.summary, Qt.ToolTipRole)
        self.preset_combo.setToolTip("A ready-made recipe; the advanced settings below follow it.")
        self.preset_summary = QLabel()
        self.preset_summary.setWordWrap(True)
        self.preset_summary.setStyleSheet("color: #a8a8a8;")
        self.data_summary = QLabel("No images chosen yet: pick a data set on the Data page.")
        self.data_summary.setObjectName("trainDataSummary")
        self.data_summary.setWordWrap(True)
        form.addRow("Preset", self.preset_combo)
        form.addRow("", self.preset_summary)
        form.addRow("Data", self.data_summary)
        self.start_from_combo = QComboBox()
        self.start_from_combo.setObjectName("startFromCombo")
        self.start_from_combo.setAccessibleName("Start from")
        self.start_from_combo.setToolTip(
            "Train a new model from scratch, or start from a model that already draws: a small set "
            "(50-200 images) then learns in minutes. The size, colour and network come from that model."
        )
        self.start_from_combo.addItem("A new model", "")
        bundled = bundled_model_path()
        if bundled is not None:
            self.start_from_combo.addItem("The bundled demo model (landscapes)", str(bundled))
        self.start_from_combo.addItem("A run of mine…", CHOOSE_RUN)
        self.start_from_combo.activated.connect(self._on_start_from)
        form.addRow("Start from", self.start_from_combo)
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setObjectName("minutesSpin")
        self.minutes_spin.setRange(0, 100_000)
        self.minutes_spin.setSpecialValueText("until I stop it")
        self.minutes_spin.setSuffix(" min")
        self.minutes_spin.setValue(30)
        self.minutes_spin.setToolTip("How long to train; 0 trains until you press Stop.")
        form.addRow("Train for", self.minutes_spin)
        left_layout.addWidget(preset_box)

        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setObjectName("advancedToggle")
        self.advanced_toggle.setText("Advanced settings")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.RightArrow)
        self.advanced_toggle.toggled.connect(self._toggle_advanced)
        left_layout.addWidget(self.advanced_toggle)
        self.advanced = QGroupBox()
        self.advanced.setObjectName("advancedBox")
        self._build_advanced(QFormLayout(self.advanced))
        self.advanced.setVisible(False)
        left_layout.addWidget(self.advanced)

        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.start_button.setAccessibleName("Start training")
        self.start_button.setToolTip("Start training (Ctrl+Return)")
        self.start_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseButton")
        self.pause_button.setAccessibleName("Pause or resume training")
        self.pause_button.setToolTip("Pause or resume (F8)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setAccessibleName("Stop training")
        self.stop_button.setToolTip("Stop and save a checkpoint (Ctrl+.)")
        for button in (self.start_button, self.pause_button, self.stop_button):
            button.setMinimumHeight(34)
            buttons.addWidget(button)
        self.start_button.setStyleSheet(
            "QPushButton#startButton:enabled { background: #2f7d5b; color: white; font-weight: bold; }"
        )
        left_layout.addLayout(buttons)
        self.start_button.clicked.connect(self._on_start)
        self.pause_button.clicked.connect(self._on_pause)
        self.stop_button.clicked.connect(self.stopRequested)

        self.progress = QProgressBar()
        self.progress.setObjectName("progressBar")
        self.progress.setAccessibleName("Training progress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Ready")
        left_layout.addWidget(self.progress)
        self.speed_label = QLabel(" ")
        self.speed_label.setObjectName("speedLabel")
        self.speed_label.setStyleSheet("color: #a8a8a8;")
        left_layout.addWidget(self.speed_label)

        self.warnings_box = QVBoxLayout()
        self.warnings_box.setSpacing(6)
        left_layout.addLayout(self.warnings_box)
        left_layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setMinimumWidth(330)
        scroll.setMaximumWidth(420)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        outer.addWidget(scroll)

        # Right: curves above, samples below.
        splitter = QSplitter(Qt.Horizontal)
        self.plots = TrainingPlots()
        self.samples = SampleTimeline()
        splitter.addWidget(self.plots)
        splitter.addWidget(self.samples)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 420])  # the samples are what an artist watches: give them room
        self.samples.setMinimumWidth(300)
        outer.addWidget(splitter, 1)

        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        for name, (widget, _value) in self._preset_controls().items():
            signal = widget.currentIndexChanged if isinstance(widget, QComboBox) else widget.valueChanged
            signal.connect(lambda *_args, name=name: self._mark_explicit(name))

    def _build_advanced(self, form: QFormLayout) -> None:
        def add(label: str, widget: QWidget, tip: str, name: str) -> None:
            if isinstance(widget, QComboBox):
                # Long choices must not widen the panel past its edge (it has no sideways
                # scroll bar): the box shrinks and shows the whole text in its list.
                widget.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
                widget.setMinimumContentsLength(10)
            widget.setToolTip(tip)
            widget.setObjectName(name)
            widget.setAccessibleName(label)
            form.addRow(label, widget)

        self.arch_combo = QComboBox()
        for arch in ARCHITECTURES:
            self.arch_combo.addItem({"dcgan": "DCGAN (fast)", "resnet": "Residual + spectral norm (steadier)"}[arch], arch)
        add("Architecture", self.arch_combo, "DCGAN is fastest; the residual networks cope better with small, varied sets.", "archCombo")
        self.loss_combo = QComboBox()
        names = {"ns": "Classic (non-saturating)", "hinge": "Hinge", "lsgan": "Least squares", "wgan-gp": "Wasserstein + gradient penalty",
                 "rpgan": "Relativistic (R3GAN)"}
        for loss in LOSSES:
            self.loss_combo.addItem(names[loss], loss)
        add("Loss", self.loss_combo, "How the two networks score each other; Hinge suits the residual networks.", "lossCombo")
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 4096)
        add("Batch size", self.batch_spin, "Images per step: larger is smoother but each step takes longer.", "batchSpin")
        self.lr_g_spin = self._lr_spin()
        add("Generator learning rate", self.lr_g_spin, "How big a step the generator takes; lower is safer but slower.", "lrGSpin")
        self.lr_d_spin = self._lr_spin()
        add("Discriminator learning rate", self.lr_d_spin, "How big a step the discriminator takes.", "lrDSpin")
        self.z_spin = QSpinBox()
        self.z_spin.setRange(1, 4096)
        add("Latent size", self.z_spin, "How many random numbers each picture starts from.", "latentSpin")
        self.width_spin = QSpinBox()
        self.width_spin.setRange(4, 1024)
        add("Network width", self.width_spin, "Capacity of both networks; compute grows with its square.", "widthSpin")
        self.augment_combo = QComboBox()
        for label, value in AUGMENT_CHOICES:
            self.augment_combo.addItem(label, value)
        add("Augmentation", self.augment_combo, "Randomly alters what the discriminator sees so it cannot memorise a small set.", "augmentCombo")
        self.ema_spin = QDoubleSpinBox()
        self.ema_spin.setRange(0, 1_000_000)
        self.ema_spin.setDecimals(0)
        self.ema_spin.setSingleStep(1000)
        self.ema_spin.setSuffix(" images")
        add("Averaging half-life", self.ema_spin, "Samples come from a running average of the generator; longer is smoother.", "emaSpin")
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(0, 100_000_000)
        self.steps_spin.setSpecialValueText("no limit")
        add("Stop after steps", self.steps_spin, "Stop after this many steps instead of a time (0 = use the time).", "stepsSpin")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2_000_000_000)
        add("Seed", self.seed_spin, "The same seed and settings give the same run.", "trainSeedSpin")
        self.precision_combo = QComboBox()
        for label, value in PRECISION_CHOICES:
            self.precision_combo.addItem(label, value)
        add("Number format", self.precision_combo, "Lower-precision maths is faster on modern hardware.", "precisionCombo")
        self.compile_check = QCheckBox()  # no text: the label says it, and the panel stays narrow
        add(
            "Compile the networks",
            self.compile_check,
            "torch.compile: the first minute is slower; can pay off on a GPU, rarely on a laptop CPU.",
            "compileCheck",
        )
        cores = cpu_cores()
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(0, cores)
        self.threads_spin.setSpecialValueText("automatic")
        add(
            "CPU threads",
            self.threads_spin,
            "Threads for training on the CPU. Automatic leaves one core to the window so it stays smooth "
            "(on a machine with 4 or more cores); more threads train faster but the window may stutter.",
            "threadsSpin",
        )

    @staticmethod
    def _lr_spin() -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setDecimals(6)
        spin.setRange(0.000001, 0.1)
        spin.setSingleStep(0.00005)
        return spin

    def _toggle_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)
