"""One training step: the discriminator's updates, then the generator's, all on the device.

A mixin of `Trainer`: the networks, optimisers, generators of randomness and settings are the
trainer's attributes (set up in trainer.py). Nothing here reads a value back to the host.
"""

from __future__ import annotations

import contextlib

import torch

from ganstudio.training.augment import diff_augment
from ganstudio.training.ema import ema_beta, update_ema
from ganstudio.training.losses import d_accuracy_stats, d_loss, g_loss, gradient_penalty, r1_penalty

class StepMixin:
    """One training iteration of the Trainer (trainer.py holds the attributes used here)."""

    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = self.precision.autocast_dtype
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        if not self.augment_policy:
            return x
        p = self.adaptive.probability if self.adaptive else self.config.augment.probability
        if p <= 0:
            return x
        return diff_augment(x, self.augment_policy, self.aug_gen, p, self.config.augment.color_strength)

    def _noise(self) -> torch.Tensor:
        return torch.randn(self.local_batch, self.G.z_dim, device=self.device, generator=self.noise_gen)

    def step(self) -> None:
        """One training iteration: `d_steps` discriminator updates, then one generator update.

        Nothing here reads a value back to the host, so on a GPU the CPU runs ahead freely.
        """
        cfg = self.config
        kind = cfg.loss.kind
        self.G_train.train()
        self.D_train.train()

        # -- discriminator ---------------------------------------------------------
        self.D.requires_grad_(True)
        for d_step in range(cfg.loss.d_steps):
            real = self.bank.sample(self.local_batch, self.data_gen)
            if d_step == cfg.loss.d_steps - 1:
                # The last batch of fakes keeps its graph and is reused for the generator
                # update, as in the classic DCGAN loop: one G forward per step, not two.
                with self._autocast():
                    fake_for_g = self.G_train(self._noise())
                fake = fake_for_g.detach()
            else:
                with torch.no_grad(), self._autocast():
                    fake = self.G(self._noise())
            # Once per step that is due, on its first discriminator update: with d_steps > 1,
            # applying it on every update would make it d_steps times stronger than set.
            apply_r1 = cfg.loss.r1_gamma > 0 and self.step_count % cfg.loss.r1_every == 0 and d_step == 0
            apply_r2 = apply_r1 and kind == "rpgan"  # R3GAN: the same zero-centred penalty on fakes
            with self._autocast():
                real_in = self._augment(real)
                fake_in = self._augment(fake)
                if apply_r1:
                    real_in = real_in.detach().requires_grad_(True)
                if apply_r2:
                    fake_in = fake_in.detach().requires_grad_(True)
                if cfg.loss.joint_batch:
                    # One batch: a batch-norm D then normalises reals and fakes on the same
                    # statistics, so a shift common to all fakes (paper a few grey levels too
                    # light, a tint) stays visible to it instead of being normalised away.
                    logits = self.D_train(torch.cat([real_in, fake_in]))
                    real_logits, fake_logits = logits[: len(real_in)], logits[len(real_in) :]
                else:
                    real_logits = self.D_train(real_in)
                    fake_logits = self.D_train(fake_in)
                loss_d = d_loss(kind, real_logits.float(), fake_logits.float())
            if kind == "wgan-gp":
                loss_d = loss_d + cfg.loss.gp_weight * gradient_penalty(
                    self.D_train, real_in.detach(), fake_in.detach(), self.aug_gen
                )
            if apply_r1:
                # Lazy regularisation: every r1_every steps, weighted by r1_every (StyleGAN2).
                loss_d = loss_d + (cfg.loss.r1_gamma / 2) * cfg.loss.r1_every * r1_penalty(real_logits, real_in)
            if apply_r2:
                loss_d = loss_d + (cfg.loss.r1_gamma / 2) * cfg.loss.r1_every * r1_penalty(fake_logits, fake_in)
            if self.adaptive is not None:
                self.adaptive.accumulate(real_logits.detach())
            self.opt_d.zero_grad(set_to_none=True)
            self.scaler_d.scale(loss_d).backward()
            for frozen in self._frozen_d:
                frozen.grad = None  # Adam leaves a parameter without a gradient as it is
            self.scaler_d.step(self.opt_d)
            self.scaler_d.update()

        # -- generator -------------------------------------------------------------
        # D's weights need no gradients here: freezing them skips their weight-gradient
        # kernels in the backward pass (only the input gradient is needed).
        self.D.requires_grad_(False)
        with self._autocast():
            fake_in_g = self._augment(fake_for_g)
            if cfg.loss.joint_batch and cfg.loss.joint_g_step == "running":
                # D's running statistics come from its joint batches, so the fakes are
                # normalised as D was trained to see them, without running D over reals again.
                self.D_for_g.eval()
                fake_logits_g = self.D_for_g(fake_in_g)
                self.D_for_g.train()
            elif cfg.loss.joint_batch:
                # The same real batch beside the fakes, so D judges them as it was trained to.
                fake_logits_g = self.D_for_g(torch.cat([real_in.detach(), fake_in_g]))[len(real_in) :]
            else:
                fake_logits_g = self.D_for_g(fake_in_g)
            real_logits_g = None
            if kind == "rpgan":
                # Each fake is judged against a real image by the D of now (no gradient needed).
                with torch.no_grad():
                    real_logits_g = self.D_for_g(real_in.detach())
            loss_g = g_loss(kind, fake_logits_g.float(), real_logits_g)
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler_g.scale(loss_g).backward()
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        self.D.requires_grad_(True)

        # -- bookkeeping (all on the device) ------------------------------------------
        self.step_count += 1
        self.images_seen += self.batch
        beta = ema_beta(self.batch, self.images_seen, cfg.train.ema_half_life_images, cfg.train.ema_rampup)
        update_ema(self.G_ema, self.G, beta)
        d_real, d_fake = d_accuracy_stats(real_logits.detach().float(), fake_logits.detach().float())
        self._stats.append(torch.stack([loss_d.detach().float(), loss_g.detach().float(), d_real, d_fake]))
