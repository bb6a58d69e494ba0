package org.o365mail.examples;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5Message;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A SOCKS5 proxy we did not write the protocol of: Netty's {@code netty-codec-socks} ({@link
 * Socks5InitialRequestDecoder}, {@link Socks5CommandRequestDecoder}, {@link Socks5ServerEncoder}) on a Netty server
 * on 127.0.0.1, relaying bytes both ways once the {@code CONNECT} command succeeded. It accepts the no-authentication
 * method only (RFC 1928 section 3), and connects only to the {@code host:port} targets it is given, answering any
 * other with reply 2, "connection not allowed by ruleset" (RFC 1928 section 6, {@link
 * Socks5CommandStatus#FORBIDDEN}), so that nothing leaves the machine through it.
 *
 * <p>Each {@code CONNECT} target and the status answered are recorded, and the first megabytes relayed are kept for
 * {@link #sawInClear}. Thread-safe.
 */
final class NettySocksProxy implements AutoCloseable {
  /** One SOCKS5 {@code CONNECT} command and the reply status Netty encoded for it. */
  record Command(String target, Socks5CommandStatus status) {}

  private static final int CAPTURE_LIMIT = 4 << 20;

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Set<String> allowed;
  private final List<Command> commands = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream relayed = new ByteArrayOutputStream();
  private final Channel server;

  /** Starts the proxy on an ephemeral port of 127.0.0.1; it connects only to {@code allowed} ({@code host:port}). */
  NettySocksProxy(List<String> allowed) throws InterruptedException {
    this.allowed = Set.copyOf(allowed);
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(Socks5ServerEncoder.DEFAULT, new Socks5InitialRequestDecoder(), new Handshake());
          }
        });
    server = b.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
  }

  String host() {
    return "127.0.0.1";
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  List<Command> commands() {
    return List.copyOf(commands);
  }

  /** Whether {@code text} crossed the proxy in clear, in the first megabytes relayed either way. */
  boolean sawInClear(String text) {
    synchronized (relayed) {
      return relayed.toString(StandardCharsets.ISO_8859_1).contains(text);
    }
  }

  int relayedBytes() {
    synchronized (relayed) {
      return relayed.size();
    }
  }

  void clear() {
    commands.clear();
    synchronized (relayed) {
      relayed.reset();
    }
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** The method negotiation, then the {@code CONNECT} command. */
  private final class Handshake extends SimpleChannelInboundHandler<Socks5Message> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Socks5Message message) {
      if (message instanceof Socks5InitialRequest initial) {
        if (!initial.authMethods().contains(Socks5AuthMethod.NO_AUTH)) {
          ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED))
              .addListener(ChannelFutureListener.CLOSE);
          return;
        }
        ctx.pipeline().replace(Socks5InitialRequestDecoder.class, "command", new Socks5CommandRequestDecoder());
        ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.NO_AUTH));
      } else if (message instanceof Socks5CommandRequest command && command.type() == Socks5CommandType.CONNECT) {
        connect(ctx, command);
      } else {
        ctx.close();
      }
    }

    private void connect(ChannelHandlerContext ctx, Socks5CommandRequest command) {
      String target = command.dstAddr() + ":" + command.dstPort();
      if (!allowed.contains(target)) {
        reply(ctx, command, target, Socks5CommandStatus.FORBIDDEN).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      Channel client = ctx.channel();
      ctx.channel().config().setAutoRead(false);
      new Bootstrap()
          .group(client.eventLoop())
          .channel(NioSocketChannel.class)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
          .handler(new Relay(client))
          .connect(command.dstAddr(), command.dstPort())
          .addListener((ChannelFuture upstream) -> {
            if (!upstream.isSuccess()) {
              reply(ctx, command, target, Socks5CommandStatus.CONNECTION_REFUSED)
                  .addListener(ChannelFutureListener.CLOSE);
              return;
            }
            reply(ctx, command, target, Socks5CommandStatus.SUCCESS).addListener((ChannelFuture sent) -> {
              ctx.pipeline().remove(Socks5ServerEncoder.class);
              ctx.pipeline().remove("command");
              ctx.pipeline().replace(this, "relay", new Relay(upstream.channel()));
              client.config().setAutoRead(true);
            });
          });
    }

    private ChannelFuture reply(ChannelHandlerContext ctx, Socks5CommandRequest command, String target,
        Socks5CommandStatus status) {
      commands.add(new Command(target, status));
      return ctx.writeAndFlush(new DefaultSocks5CommandResponse(status, command.dstAddrType()));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Copies what one side sends to the other, keeping a copy of the first megabytes. */
  private final class Relay extends ChannelInboundHandlerAdapter {
    private final Channel other;

    Relay(Channel other) {
      this.other = other;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf buf) {
        byte[] copy = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), copy);
        synchronized (relayed) {
          relayed.write(copy, 0, Math.min(copy.length, Math.max(0, CAPTURE_LIMIT - relayed.size())));
        }
      }
      other.writeAndFlush(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      other.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
