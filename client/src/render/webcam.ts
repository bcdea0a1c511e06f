// The user's camera for an Image: a live preview in a <video>, and still
// frames taken from it as image Blobs.

export type FrameType = "image/jpeg" | "image/png";

export class Webcam {
  readonly video: HTMLVideoElement;
  /** Whether the preview, and every frame taken, is mirrored left to right. */
  mirrored = true;
  private media: MediaStream | null = null;
  // Bumped by stop(): a start() still waiting for the camera then lets it go.
  private generation = 0;
  private readonly canvas = document.createElement("canvas");

  constructor() {
    this.video = document.createElement("video");
    this.video.className = "rb-webcam-video";
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.hidden = true;
  }

  get live(): boolean {
    return this.media !== null;
  }

  /**
   * Asks for the camera and shows its picture. Resolves false when stop()
   * came first; rejects when the browser or the user refuses the camera.
   */
  async start(): Promise<boolean> {
    if (this.media) return true;
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error("this page may not use a camera (it needs https or localhost)");
    }
    const generation = this.generation;
    const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    if (generation !== this.generation) {
      for (const track of media.getTracks()) track.stop();
      return false;
    }

    this.media = media;
    this.video.srcObject = media;
    this.video.classList.toggle("rb-mirrored", this.mirrored);
    this.video.hidden = false;
    await this.video.play();
    return this.media === media;
  }

  /** Lets the camera go: its light turns off. */
  stop(): void {
    this.generation += 1;
    for (const track of this.media?.getTracks() ?? []) track.stop();
    this.media = null;
    this.video.srcObject = null;
    this.video.hidden = true;
  }

  /** The picture shown now, as `type` bytes; null before the camera's first frame. */
  capture(type: FrameType, quality?: number): Promise<Blob | null> {
    const { videoWidth: width, videoHeight: height } = this.video;
    const context = this.canvas.getContext("2d");
    if (!this.media || width === 0 || height === 0 || !context) return Promise.resolve(null);

    this.canvas.width = width;
    this.canvas.height = height;
    const flip = this.mirrored ? -1 : 1;
    context.setTransform(flip, 0, 0, 1, this.mirrored ? width : 0, 0);
    context.drawImage(this.video, 0, 0, width, height);
    return new Promise((resolve) => this.canvas.toBlob(resolve, type, quality));
  }
}
